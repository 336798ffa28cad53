"""rewardkit.adapters.trl: the GRPOTrainer reward-function contract, without torch."""

from __future__ import annotations

import asyncio
import inspect
import pickle
from types import SimpleNamespace

import pytest
from rewardkit.adapters.trl import AsyncTRLRewardFunction, TRLRewardFunction, trl_rewards

from rewardkit.registry import Reward, get_reward

GOOD = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
HALF = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 250], 'Confidence': 0.6}]</answer>"
NOFMT = "[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]"
GT = [[10, 10, 500, 500]]


def _batch(completions, gts, **cols):
    n = len(completions)
    return dict(prompts=["Detect the cat."] * n, completions=completions, completion_ids=[[1]] * n, solution=gts, **cols)


def test_names_one_per_component_and_unique():
    funcs = trl_rewards(["visual_rft.detection", "visual_rft.classification", "format.think_answer"])
    names = [f.__name__ for f in funcs]
    assert names == [
        "visual_rft.detection/iou",
        "visual_rft.detection/confidence",
        "visual_rft.detection/format",
        "visual_rft.classification/accuracy",
        "visual_rft.classification/format",
        "format.think_answer",
    ]
    assert len(set(names)) == len(names)
    assert all(isinstance(f, TRLRewardFunction) for f in funcs)


def test_components_sum_to_the_reward_score():
    funcs = trl_rewards("visual_rft.detection")
    comps = [GOOD, HALF, NOFMT, "garbage"]
    batch = _batch(comps, [GT] * 4)
    per_func = [f(**batch) for f in funcs]
    totals = [sum(vals) for vals in zip(*per_func)]
    expected = [get_reward("visual_rft.detection")(c, GT).score for c in comps]
    assert totals == pytest.approx(expected)
    assert per_func[0][0] == 1.0 and per_func[1][0] == pytest.approx(0.9) and per_func[2][0] == 1.0
    assert per_func[2][2] == 0.0  # no tags: format 0


def test_total_mode_logs_components_once():
    funcs = trl_rewards("visual_rft.detection", split_components=False, log_reasons=True)
    assert [f.__name__ for f in funcs] == ["visual_rft.detection"]
    metrics, extra = [], []
    batch = _batch([GOOD, NOFMT], [GT, GT], log_metric=lambda n, v: metrics.append((n, v)), log_extra=lambda c, v: extra.append((c, v)))
    out = funcs[0](**batch)
    assert out[0] == pytest.approx(2.9)
    names = dict(metrics)
    assert set(names) == {"visual_rft.detection/iou", "visual_rft.detection/confidence", "visual_rft.detection/format"}
    assert names["visual_rft.detection/format"] == pytest.approx(0.5)
    assert extra == [("visual_rft.detection/reason", [None, extra[0][1][1]])] and extra[0][1][1]


def test_the_reward_is_computed_once_per_batch_not_once_per_component():
    funcs = trl_rewards("visual_rft.detection")
    scorer = funcs[0].scorer
    assert all(f.scorer is scorer for f in funcs)
    calls = {"fn": 0, "prepare": 0}
    fn, prepare = scorer._fn, scorer.reward.prepare

    def counting_fn(*a, **k):
        calls["fn"] += 1
        return fn(*a, **k)

    def counting_prepare(*a, **k):
        calls["prepare"] += 1
        return prepare(*a, **k)

    scorer._fn = counting_fn
    scorer._batch_fn = None
    scorer.reward.prepare = counting_prepare
    # two prompt groups of G=4 generations
    batch = _batch([GOOD, HALF, NOFMT, "x"] * 2, [GT] * 4 + [[[0, 0, 100, 100]]] * 4)
    for f in funcs:
        f(**batch)
    assert calls == {"fn": 8, "prepare": 2}
    # a new batch (a new list object) is scored again
    batch2 = dict(batch, completions=list(batch["completions"]))
    funcs[0](**batch2)
    assert calls["fn"] == 16


def test_conversational_completions():
    funcs = trl_rewards("visual_rft.detection", split_components=False)
    conv = [[{"role": "assistant", "content": GOOD}], [{"role": "assistant", "content": [{"type": "text", "text": GOOD}]}]]
    assert funcs[0](**_batch(conv, [GT, GT])) == pytest.approx([2.9, 2.9])


def test_multi_message_completion_scores_as_through_rewardkit_score():
    """One home for reading a completion (issue 12): every assistant message's text, in
    order, on every surface. The adapters used to keep only the last message, so this
    completion scored 1 through ``rewardkit.score`` and 0 here."""
    from rewardkit import score

    conv = [{"role": "assistant", "content": "<think>a cat</think>"},
            {"role": "tool", "content": "<answer>ignored</answer>"},
            {"role": "assistant", "content": [{"type": "text", "text": "<answer>x</answer>"}, {"type": "image"}]}]
    direct = score(conv, None, reward="format.think_answer").score
    funcs = trl_rewards("format.think_answer", split_components=False)
    assert direct == 1.0
    assert funcs[0](**_batch([conv], [None])) == [direct]


def test_image_size_from_the_image_column_when_frames_differ():
    # ground truth in pixels of a 1000 x 500 image, predictions in norm1000
    gt_px = [[10, 5, 500, 250]]
    image = SimpleNamespace(size=(1000, 500))  # PIL convention: (width, height)
    funcs = trl_rewards("visual_rft.detection", split_components=False, gt_frame="pixel")
    assert funcs[0].scorer._needs_size
    out = funcs[0](**_batch([GOOD], [gt_px], image=[image]))
    assert out[0] == pytest.approx(2.9)
    # TRL's `images` column holds a list of images per row
    out = funcs[0](**_batch([GOOD], [gt_px], images=[[image]]))
    assert out[0] == pytest.approx(2.9)
    # same frames: the image is not needed
    assert not trl_rewards("visual_rft.detection")[0].scorer._needs_size


def test_rows_of_another_task_get_none():
    funcs = trl_rewards(["visual_rft.detection", "visual_rft.classification", "format.think_answer"])
    by_name = {f.__name__: f for f in funcs}
    cls = "<think>x</think><answer>cat</answer>"
    batch = _batch([GOOD, cls], [GT, "cat"], task=["detection", "classification"])
    assert by_name["visual_rft.detection/iou"](**batch) == [1.0, None]
    assert by_name["visual_rft.classification/accuracy"](**batch) == [None, 1.0]
    assert by_name["format.think_answer"](**batch) == [1.0, 1.0]  # format applies to every row
    # a `reward` column with reward names works the same way
    batch = _batch([GOOD, cls], [GT, "cat"], reward=["visual_rft.detection", "visual_rft.classification"])
    assert by_name["visual_rft.detection/format"](**batch) == [1.0, None]
    # task_column=None disables the selection
    funcs = trl_rewards("visual_rft.detection", task_column=None)
    assert funcs[0](**_batch([GOOD], [GT], task=["classification"])) == [1.0]


def test_bad_ground_truth_is_none_and_missing_column_is_an_error():
    funcs = trl_rewards("visual_rft.detection")
    assert funcs[0](**_batch([GOOD], ["not boxes at all"])) == [None]
    with pytest.raises(KeyError, match="remove_unused_columns"):
        funcs[0](prompts=["p"], completions=[GOOD], answer=[GT])


def test_scheduled_rewards_get_the_trainer_step():
    funcs = trl_rewards("visual_rft.detection", split_components=False)
    scorer = funcs[0].scorer
    seen = []

    def spy(completion, gt, **kw):
        seen.append((kw.get("step"), kw.get("max_steps")))
        return Reward("visual_rft.detection")(completion, gt)

    scorer._fn, scorer._batch_fn, scorer._scheduled = spy, None, True
    state = SimpleNamespace(global_step=7, max_steps=20)
    funcs[0](**_batch([GOOD], [GT], trainer_state=state))
    funcs[0](**_batch([GOOD], [GT]))
    assert seen == [(7, 20), (None, None)]


def test_params_are_validated_and_routed():
    with pytest.raises(ValueError, match="none of the rewards"):
        trl_rewards("visual_rft.detection", not_a_param=1)
    funcs = trl_rewards(
        ["visual_rft.detection", "visual_rft.classification"],
        pred_frame="norm1000",  # only detection accepts it
        params={"visual_rft.detection": {"iou_threshold": 0.75}},
    )
    assert funcs[0].scorer.reward.params == {"pred_frame": "norm1000", "iou_threshold": 0.75}
    assert funcs[-1].scorer.reward.params == {}
    with pytest.raises(ValueError, match="distinct"):
        trl_rewards(["visual_rft.detection", "visual_rft.detection"])
    with pytest.raises(KeyError, match="did you mean"):
        trl_rewards("visual_rft.detectoin")


def test_picklable_and_the_copies_share_one_scorer():
    funcs = trl_rewards("visual_rft.detection")
    funcs[0](**_batch([GOOD], [GT]))  # fill the cache; it must not be pickled
    copies = pickle.loads(pickle.dumps(funcs))
    assert [f.__name__ for f in copies] == [f.__name__ for f in funcs]
    assert copies[0].scorer is copies[1].scorer is copies[2].scorer
    assert copies[0].scorer._results == []
    assert copies[1](**_batch([GOOD], [GT])) == [pytest.approx(0.9)]


def test_async_variant_scores_once_and_matches_sync():
    funcs = trl_rewards("visual_rft.detection", asynchronous=True)
    assert all(isinstance(f, AsyncTRLRewardFunction) for f in funcs)
    # TRL's is_async_callable: callable class instances carry the `async` on __call__
    assert all(inspect.iscoroutinefunction(f.__call__) for f in funcs)
    assert not inspect.iscoroutinefunction(trl_rewards("visual_rft.detection")[0].__call__)

    scorer = funcs[0].scorer
    count = {"n": 0}
    fn = scorer._fn

    def counting(*a, **k):
        count["n"] += 1
        return fn(*a, **k)

    scorer._fn, scorer._batch_fn = counting, None
    batch = _batch([GOOD, HALF, NOFMT, "x"], [GT] * 4)

    async def run():
        return await asyncio.gather(*(f(**batch) for f in funcs))

    out = asyncio.run(run())
    sync = [f(**batch) for f in trl_rewards("visual_rft.detection")]
    assert out == sync
    assert count["n"] == 4


def test_groups_use_the_reward_group_entry_point_when_there_is_one():
    funcs = trl_rewards("visual_rft.detection", split_components=False)
    scorer = funcs[0].scorer
    groups = []

    def batch_fn(texts, prepared, **kw):
        groups.append(len(texts))
        return [scorer._fn(t, prepared, **kw) for t in texts]

    scorer._batch_fn = batch_fn
    comps = [GOOD, HALF, NOFMT] * 2
    out = funcs[0](**_batch(comps, [GT] * 3 + [[[0, 0, 100, 100]]] * 3))
    assert groups == [3, 3]
    assert out[:3] == pytest.approx([get_reward("visual_rft.detection")(c, GT).score for c in comps[:3]])
