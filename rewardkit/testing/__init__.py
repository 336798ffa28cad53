"""Test and demo scaffolding that the examples' ``--tiny`` mode needs at run time.

* :mod:`rewardkit.testing.tiny_vlm`: tiny random Qwen2-VL / Qwen2.5-VL models, tokenizer
  and processor built in code (no hub access), for CPU tests and ``--tiny`` runs.
* :mod:`rewardkit.testing.tiny_sam2`: a tiny random SAM2 (transformers ``Sam2Model``, the
  real architecture at toy size) saved as a checkpoint directory, for the
  ``TransformersSAM2Segmenter`` tests and the Seg-R1 example's ``--tiny``.

Nothing here is imported by ``import rewardkit``; torch and transformers are imported
inside the functions. Generators used only by the test suite and the benchmarks live in
``tests/_helpers/`` and are not shipped.
"""
