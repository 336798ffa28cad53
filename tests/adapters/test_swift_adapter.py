"""rewardkit.adapters.swift: ms-swift GRPO reward functions (ORMs).

Two layers:

* in process, the ORM contract as ms-swift 4.6 calls it (``orm(completions, **kwargs)``
  with batched dataset columns), on a plain dict registry;
* through ms-swift's own code (``tests/adapters`` runs it in a subprocess with
  ``.test-deps/ms-swift`` on ``sys.path``; ``scripts/test.sh`` installs ms-swift 4.6.0
  there without its dependencies, plus the modules its loader imports): the plugin file
  is loaded by ``swift.utils.import_external_file`` (what ``--external_plugins`` runs),
  looked up in ``swift.rewards.orms``, instantiated as ``GRPOTrainer._prepare_rewards``
  does (``orms[name](args=args)``, reconstructed: importing the trainer needs trl<1 and
  the GPU stack; ms-swift commit 3602360a ``swift/rlhf_trainers/grpo_trainer.py``), and
  called by ms-swift's ``swift.rl_core.grpo_algorithm.compute_rewards_per_func`` on
  ``GRPOSample.from_row`` samples.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from rewardkit.adapters import swift as rk_swift

from rewardkit.registry import Reward, get_reward

REPO = Path(__file__).resolve().parents[2]
SWIFT_SITE = Path(os.environ.get("REWARDKIT_SWIFT_SITE", REPO / ".test-deps" / "ms-swift"))

GOOD = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 500], 'Confidence': 0.9}]</answer>"
HALF = "<think>a cat</think><answer>[{'Position': [10, 10, 500, 250], 'Confidence': 0.6}]</answer>"
GT = [[10, 10, 500, 500]]


def _orms(names, **kw):
    registry: dict = {}
    rk_swift.register_orms(names, registry=registry, **kw)
    return registry


def _png(path: Path | None, size=(640, 480)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buf, format="PNG")
    if path is not None:
        path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_names_total_and_components():
    reg = _orms(["visual_rft.detection", "format.think_answer"])
    assert list(reg) == ["visual_rft.detection", "visual_rft.detection/iou", "visual_rft.detection/confidence",
                         "visual_rft.detection/format", "format.think_answer"]
    assert [cls.__name__ for cls in reg.values()] == list(reg)  # ms-swift logs the class name
    assert list(_orms("visual_rft.detection", components=False)) == ["visual_rft.detection"]


def test_every_reward_registered_and_no_clash():
    from rewardkit.registry import list_rewards

    reg = _orms(None)
    assert set(list_rewards()) <= set(reg)
    with pytest.raises(ValueError, match="already has a reward function named 'format.think_answer'"):
        rk_swift.register_orms(["format.think_answer"], registry={"format.think_answer": object})
    # re-registering our own ORM (the plugin imported twice) is fine
    rk_swift.register_orms(["format.think_answer"], registry=reg)


def test_values_match_the_reward_and_components_sum():
    reg = _orms("visual_rft.detection")
    comps = [GOOD, HALF, "no tags", GOOD]
    kw = dict(solution=[json.dumps(GT)] * 2 + [GT] * 2, trainer_state=None,
              messages=[[{"role": "user", "content": "Detect."}, {"role": "assistant", "content": c}] for c in comps])
    funcs = {n: cls(args=SimpleNamespace()) for n, cls in reg.items()}
    total = funcs["visual_rft.detection"](comps, **kw)
    parts = [funcs[f"visual_rft.detection/{c}"](comps, **kw) for c in ("iou", "confidence", "format")]
    expected = [get_reward("visual_rft.detection")(c, GT).score for c in comps]
    assert total == pytest.approx(expected)
    assert [sum(v) for v in zip(*parts)] == pytest.approx(expected)
    assert total[0] == pytest.approx(2.9) and parts[0][0] == 1.0 and parts[1][0] == pytest.approx(0.9)


def test_one_computation_per_batch(monkeypatch):
    reg = _orms("visual_rft.detection")
    calls = []
    spec = get_reward("visual_rft.detection").spec
    batch_fn = spec.batch

    def counting(*a, **k):
        calls.append(1)
        return batch_fn(*a, **k)

    scorer = reg["visual_rft.detection"]._function.scorer
    scorer._batch_fn = counting
    comps = [GOOD, HALF]
    kw = dict(solution=[GT, GT], trainer_state=SimpleNamespace(global_step=3, max_steps=10))
    for cls in reg.values():
        cls()(comps, **kw)  # ms-swift 3.x instantiates with no arguments
    assert len(calls) == 1


def test_task_column_gives_none_and_images_give_the_size(tmp_path):
    _png(tmp_path / "a.png")
    reg = _orms(["grounding.iou", "format.think_answer"], params={"grounding.iou": {"gt_frame": "pixel"}})
    # norm1000 [100, 100, 200, 200] on a 640 x 480 image is pixel [64, 48, 128, 96]
    comp = "<think>x</think><answer>[100, 100, 200, 200]</answer>"
    images = [[str(tmp_path / "a.png")], [{"bytes": _png(None), "path": None}], [str(tmp_path / "a.png")]]
    kw = dict(solution=[[64, 48, 128, 96]] * 3, images=images, task=["grounding", "grounding", "counting"],
              trainer_state=None)
    iou = reg["grounding.iou"]()([comp] * 3, **kw)
    assert iou[:2] == [pytest.approx(1.0), pytest.approx(1.0)]
    assert iou[2] is None  # another task: ms-swift turns None into NaN and skips it
    assert reg["format.think_answer"]()([comp] * 3, **kw) == [1.0, 1.0, 1.0]  # format applies to every row
    # no image and no image_size: the frame conversion cannot be done, which is the caller's to fix
    with pytest.raises(ValueError, match="image_size"):
        reg["grounding.iou"]()([comp], solution=[[64, 48, 128, 96]], trainer_state=None)


def test_scheduled_reward_gets_the_step():
    reg = _orms("vision_r1.localization")
    comp = "<think>x</think><answer>[{\"bbox_2d\": [10, 10, 100, 100], \"label\": \"cat\"}]</answer>"
    gt = [[12, 12, 100, 100]]
    orm = reg["vision_r1.localization"]()
    for step in (0, 9):
        state = SimpleNamespace(global_step=step, max_steps=10)
        expected = Reward("vision_r1.localization")(comp, gt, step=step, max_steps=10).score
        assert orm([comp], solution=[gt], trainer_state=state) == [pytest.approx(expected)]


def test_missing_solution_column_names_the_setting():
    orm = _orms("visual_rft.detection")["visual_rft.detection"]()
    with pytest.raises(KeyError, match="REWARDKIT_SWIFT_GT_COLUMN"):
        orm([GOOD], answer=[GT], trainer_state=None)


def test_register_from_env(monkeypatch):
    monkeypatch.setenv("REWARDKIT_SWIFT_PARAMS", json.dumps({"visual_rft.detection": {"iou_threshold": 0.9}}))
    monkeypatch.setenv("REWARDKIT_SWIFT_GT_COLUMN", "answer")
    reg: dict = {}
    rk_swift.register_from_env(reg)
    orm = reg["visual_rft.detection/iou"]()
    # IoU of HALF with GT is ~0.49: under a 0.9 threshold it scores 0
    assert orm([HALF], answer=[GT], trainer_state=None) == [0.0]
    monkeypatch.setenv("REWARDKIT_SWIFT_PARAMS", "[1]")
    with pytest.raises(ValueError, match="REWARDKIT_SWIFT_PARAMS"):
        rk_swift.register_from_env({})


def test_orm_instances_pickle():
    reg = _orms("visual_rft.detection")
    orm = pickle.loads(pickle.dumps(reg["visual_rft.detection/iou"](args=None)))
    assert type(orm).__name__ == "visual_rft.detection/iou"
    assert orm([GOOD], solution=[GT], trainer_state=None) == [1.0]


def test_plugin_file_is_alone_in_its_folder():
    path = Path(rk_swift.plugin_path())
    assert path.is_file()
    assert sorted(p.name for p in path.parent.iterdir() if p.name != "__pycache__") == ["rewardkit_orms.py"]
    out = subprocess.run([sys.executable, "-m", "rewardkit.adapters.swift"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == str(path)


# -- through ms-swift's own code -------------------------------------------------------------
SWIFT_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    from types import SimpleNamespace
    import torch
    from swift.utils import import_external_file
    from swift.rewards import orms
    from swift.rl_core.data import GRPOSample
    from swift.rl_core.grpo_algorithm import compute_rewards_per_func
    import swift
    cfg = json.loads(sys.argv[1])
    import_external_file(cfg["plugin"])                      # what --external_plugins does
    names = cfg["names"]
    args = SimpleNamespace(output_dir="out")                 # GRPOConfig stand-in
    funcs = [orms[n](args=args) for n in names]              # GRPOTrainer._prepare_rewards (4.x)
    func_names = [f.__class__.__name__ for f in funcs]       # what ms-swift logs
    samples = [GRPOSample.from_row(row) for row in cfg["rows"]]
    state = SimpleNamespace(global_step=cfg["step"], max_steps=cfg["max_steps"])
    out = compute_rewards_per_func(samples, funcs, None, device=torch.device("cpu"), trainer_state=state)
    vals = [[None if v != v else v for v in row] for row in out.tolist()]
    print(json.dumps({"version": getattr(swift, "__version__", None), "names": func_names, "rewards": vals,
                      "registered": sorted(n for n in orms if "." in n)}))
    """
)


@pytest.mark.skipif(not (SWIFT_SITE / "swift").is_dir(), reason="ms-swift not installed in .test-deps (scripts/test.sh)")
def test_through_ms_swift_loader_and_reward_loop(tmp_path):
    _png(tmp_path / "img.png")
    img = str(tmp_path / "img.png")
    grounding = "<think>x</think><answer>[100, 100, 200, 200]</answer>"

    def row(completion, solution, **extra):
        return {"messages": [{"role": "user", "content": "<image>Find the cat."},
                             {"role": "assistant", "content": completion}],
                "images": [img], "solution": solution, **extra}

    rows = [
        row(GOOD, json.dumps(GT), task="detection"),
        row(HALF, json.dumps(GT), task="detection"),
        row(grounding, [64, 48, 128, 96], task="grounding"),
        row("no tags", [64, 48, 128, 96], task="grounding"),
    ]
    names = ["visual_rft.detection/iou", "visual_rft.detection/confidence", "visual_rft.detection/format",
             "grounding.iou", "vision_r1.localization"]
    cfg = {"plugin": rk_swift.plugin_path(), "names": names, "rows": rows, "step": 7, "max_steps": 10}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SWIFT_SITE), str(REPO)]),
           "REWARDKIT_SWIFT_PARAMS": json.dumps({"grounding.iou": {"gt_frame": "pixel"}}),
           "TRANSFORMERS_VERBOSITY": "error", "MODELSCOPE_LOG_LEVEL": "40"}
    proc = subprocess.run([sys.executable, "-c", SWIFT_SCRIPT, json.dumps(cfg)], capture_output=True, text=True,
                          timeout=240, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["version"].startswith("4.6")
    assert got["names"] == names
    assert {"visual_rft.detection", "visual_rft.detection/iou", "grounding.iou", "pose.oks"} <= set(got["registered"])
    r = got["rewards"]
    det = Reward("visual_rft.detection")
    for i, comp in enumerate([GOOD, HALF]):
        res = det(comp, GT)
        assert r[i][:3] == pytest.approx([res.components["iou"], res.components["confidence"], res.components["format"]])
        assert r[i][3] is None  # grounding.iou does not apply to a detection row (NaN in ms-swift)
    assert r[0][:3] == pytest.approx([1.0, 0.9, 1.0])
    for i in (2, 3):
        assert r[i][:3] == [None, None, None]
    assert r[2][3] == pytest.approx(1.0)  # image size read from the image file: 640 x 480
    assert r[3][3] == 0.0
    # vision_r1.localization (task "detection") got step 7 of 10 from trainer_state
    loc = Reward("vision_r1.localization")
    assert r[0][4] == pytest.approx(loc(GOOD, GT, step=7, max_steps=10).score)
    assert r[2][4] is None
