"""TransformersSAM2Segmenter on a tiny random SAM2 built in code (rewardkit.testing.tiny_sam2):
the transformers SAM2 code path end to end on CPU, through seg_r1.mask."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from rewardkit.geometry.segmenters import (  # noqa: E402
    BaseSegmenter,
    Segmenter,
    TransformersSAM2Segmenter,
    segment_prompts,
    swap_channels,
)
from rewardkit.testing.tiny_sam2 import TINY_SAM2_IMAGE_SIZE, save_tiny_sam2  # noqa: E402

pytestmark = pytest.mark.trainer


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return save_tiny_sam2(tmp_path_factory.mktemp("tiny-sam2"), seed=0)


@pytest.fixture(scope="module")
def image():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (48, 80, 3), dtype=np.uint8)
    img[10:35, 20:60] = [250, 30, 30]  # a red block
    return img


@pytest.fixture()
def seg(ckpt):
    return TransformersSAM2Segmenter.from_pretrained(ckpt, device="cpu")


def test_loads_a_checkpoint_and_follows_the_protocol(seg, image):
    assert isinstance(seg, Segmenter) and isinstance(seg, BaseSegmenter)
    state = seg.state_for(image)
    assert seg.image_size(state) == (48, 80)
    assert seg.state_for(image) is state and seg.n_prepared == 1  # cached per image
    m = seg.predict(state, box=[20, 10, 60, 35])
    assert m.shape == (48, 80) and m.data.dtype == bool
    assert 0 < m.area < 48 * 80  # a random model still gives a non-trivial mask here
    again = TransformersSAM2Segmenter.from_pretrained(seg.name_or_path, device="cpu")
    assert np.array_equal(again.predict(again.state_for(image), box=[20, 10, 60, 35]).data, m.data)  # deterministic
    assert seg.predict(state).area == 0  # no prompt: empty mask


def test_same_masks_as_the_documented_transformers_flow(seg, image):
    """Cached embeddings + our prompt handling == processor(images, prompts) -> model -> post_process."""
    from rewardkit.geometry._hf_sam2 import load_model, load_processor

    model = load_model(seg.name_or_path)
    proc = load_processor(seg.name_or_path)
    state = seg.state_for(image)
    cases = [
        dict(input_boxes=[[[20.0, 10.0, 60.0, 35.0]]]),
        dict(input_points=[[[[30.0, 20.0], [5.0, 5.0]]]], input_labels=[[[1, 0]]]),
        dict(input_boxes=[[[20.0, 10.0, 60.0, 35.0]]], input_points=[[[[30.0, 20.0]]]], input_labels=[[[1]]]),
    ]
    ours = [
        seg.predict(state, box=[20, 10, 60, 35]),
        seg.predict(state, points=[[30, 20], [5, 5]], point_labels=[1, 0]),
        seg.predict(state, box=[20, 10, 60, 35], points=[[30, 20]], point_labels=[1]),
    ]
    for kw, mine in zip(cases, ours):
        inputs = proc(images=image, return_tensors="pt", **kw)
        sizes = inputs.pop("original_sizes")
        with torch.no_grad():
            out = model(**inputs, multimask_output=False)
        ref = proc.post_process_masks(out.pred_masks, sizes)[0][0, 0].numpy()
        assert np.array_equal(mine.data, ref)


def test_pil_preprocessing_is_resize_rescale_normalize(seg, image):
    from PIL import Image

    pixels = seg.processor(images=image, return_tensors="pt")["pixel_values"][0].numpy()
    s = TINY_SAM2_IMAGE_SIZE
    resized = np.asarray(Image.fromarray(image).resize((s, s), Image.BILINEAR), dtype=np.float64)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expected = ((resized / 255.0 - mean) / std).transpose(2, 0, 1)
    assert pixels.shape == (3, s, s)
    assert np.allclose(pixels, expected, atol=1e-5)


def test_predict_many_batches_by_prompt_shape(seg, image):
    state = seg.state_for(image)
    sets = [
        (np.array([20.0, 10.0, 60.0, 35.0]), None, None),
        (np.array([0.0, 0.0, 30.0, 30.0]), None, None),
        (np.array([5.0, 5.0, 70.0, 40.0]), np.array([[30.0, 20.0]]), np.array([1])),
        (None, np.array([[30.0, 20.0], [60.0, 5.0]]), np.array([1, 0])),
        (np.array([40.0, 20.0, 79.0, 47.0]), None, None),
        (None, None, None),
    ]
    calls = seg.n_decoder_calls
    batched = seg.predict_many(state, sets)
    assert seg.n_decoder_calls - calls == 3  # box-only, box+1 point, 2 points
    one_by_one = [seg.predict(state, *s) for s in sets]
    for a, b in zip(batched, one_by_one):
        assert np.array_equal(a.data, b.data)
    assert batched[-1].area == 0
    unbatched = TransformersSAM2Segmenter(model=seg.model, processor=seg.processor, batch_prompts=False, device="cpu")
    calls = unbatched.n_decoder_calls
    ub = unbatched.predict_many(unbatched.state_for(image), sets)
    assert unbatched.n_decoder_calls - calls == 5
    assert all(np.array_equal(a.data, b.data) for a, b in zip(ub, one_by_one))
    # labels other than 1 are negative (never an index error in the prompt encoder)
    odd = seg.predict(state, points=[[30, 20], [60, 5]], point_labels=[1, 7])
    assert np.array_equal(odd.data, one_by_one[3].data)


def test_channel_swap_reproduces_a_bgr_conversion(ckpt, image):
    seg = TransformersSAM2Segmenter.from_pretrained(ckpt, device="cpu")
    plain = seg.state_for(image)
    swapped = seg.state_for(image, channel_swap=True)
    assert seg.n_prepared == 2  # two cache entries
    by_hand = seg.prepare(image[:, :, ::-1].copy())
    assert torch.equal(swapped["embeddings"][-1], by_hand["embeddings"][-1])
    assert not torch.equal(swapped["embeddings"][-1], plain["embeddings"][-1])
    on = TransformersSAM2Segmenter.from_pretrained(ckpt, device="cpu", channel_swap=True)
    assert torch.equal(on.state_for(image)["embeddings"][-1], by_hand["embeddings"][-1])
    assert np.array_equal(swap_channels(image), image[:, :, ::-1])
    assert swap_channels((80, 48)) == (80, 48)


def test_segment_prompts_uses_one_call_per_shape(seg, image):
    state = seg.state_for(image)
    calls = seg.n_decoder_calls
    m = segment_prompts(seg, state, [[20, 10, 60, 35], [0, 0, 10, 10]], [[30, 20]], [1])
    assert seg.n_decoder_calls - calls == 2  # the box with its point, the box alone
    a = seg.predict(state, [20, 10, 60, 35], [[30, 20]], [1]).data
    b = seg.predict(state, [0, 0, 10, 10]).data
    assert np.array_equal(m.data, a | b)


def test_seg_r1_mask_end_to_end_with_batched_group(ckpt, image):
    from rewardkit.parsing.masks import to_rle
    from rewardkit.registry import Reward
    from rewardkit.rewards.segmentation import register_segmenter

    seg = TransformersSAM2Segmenter.from_pretrained(ckpt, device="cpu")
    register_segmenter("tiny-sam2-test", seg)
    gt_mask = np.zeros((48, 80), bool)
    gt_mask[10:35, 20:60] = True
    gt = {"mask": to_rle(gt_mask), "image": image}
    completions = [
        "<think>the red block</think><answer><bbox>[20, 10, 60, 35]</bbox></answer>",
        "<think>t</think><answer><bbox>[20, 10, 60, 35]</bbox>, <points>[[30, 20]]</points>, <labels>[1]</labels></answer>",
        "<think>t</think><answer><points>[[30, 20], [70, 40]]</points>, <labels>[1, 0]</labels></answer>",
        "<think>t</think><answer><bbox>[0, 0, 10, 10]</bbox><bbox>[40, 20, 79, 47]</bbox></answer>",
        "no answer at all",
        "<answer><bbox>[20, 10, 60, 35]</bbox></answer>",  # no think block: format 0
    ]
    reward = Reward("seg_r1.mask", segmenter="tiny-sam2-test", pred_frame="pixel")
    calls = seg.n_decoder_calls
    batch = reward.score_batch(completions, gt)
    assert seg.n_prepared == 1  # one image encoding for the group
    assert seg.n_decoder_calls - calls == 3  # box-only, box + 1 point, 2 points
    single = [reward(c, gt) for c in completions]
    assert [r.score for r in batch] == [r.score for r in single]
    assert [r.components for r in batch] == [r.components for r in single]
    for r in batch:
        assert 0.0 <= r.score <= 2.0
    # answer="auto" reads the untagged text as Seg-R1's released layout: no prompt tags in it
    assert batch[4].score == 0.0 and batch[4].reason == "no_prompt_tags"
    assert batch[5].components["format"] == 0.0
    assert batch[0].components["format"] == 1.0 and 0.0 < batch[0].components["iou"] <= 1.0
    # the mask the reward saw is the segmenter's
    iou = batch[0].components["iou"]
    m = seg.predict(seg.state_for(image), box=[20, 10, 60, 35]).data
    assert iou == pytest.approx((m & gt_mask).sum() / (m | gt_mask).sum())


def test_missing_extra_names_it(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "transformers":
            raise ImportError("No module named 'transformers'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"rewardkit\[sam2-hf\]"):
        TransformersSAM2Segmenter("facebook/sam2.1-hiera-tiny", device="cpu")


def test_needs_a_processor_with_a_bare_model(ckpt):
    from rewardkit.geometry._hf_sam2 import load_model

    model = load_model(ckpt)
    model.name_or_path = ""
    with pytest.raises(ValueError, match="processor"):
        TransformersSAM2Segmenter(model=model, device="cpu")
