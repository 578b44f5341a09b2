"""Fine-tuning a sentence-transformers model on CPU with the library's own trainer.

MultipleNegativesRankingLoss over (anchor, positive[, hard negative]) pairs: pairs with a
hard negative and pairs without are two datasets of one run (the trainer takes a dict of
datasets and draws each batch from one of them), so a triplet never sits beside a pair.
Batches never hold the same text twice (`NO_DUPLICATES`): a duplicate would be an
in-batch "negative" equal to the positive.

Speed on 2 cores: the cost of a step grows with the longest text of the batch, so
`max_seq_length` (128 word pieces: a CV window's opening, a job's head and first lines)
is the main lever; fp32 throughout (bf16 autocast on CPUs without AMX is slower).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.pipelines.tune_pairs import TrainingPair

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 1
    batch_size: int = 32
    max_seq_length: int = 128
    learning_rate: float = 3e-5
    seed: int = 12


@dataclass(frozen=True)
class TrainResult:
    steps: int
    seconds: float  # the whole run: set-up, steps and saving
    pairs: int
    epochs: int
    step_seconds: float  # the optimisation steps alone (`trainer.train`)

    @property
    def pairs_per_second(self) -> float:
        """Pairs trained per second of the whole run, each epoch's pass counted."""
        return self.pairs * self.epochs / self.seconds if self.seconds > 0 else 0.0

    @property
    def pairs_per_step_second(self) -> float:
        """Pairs per second of the optimisation steps alone (what batch and length change)."""
        return self.pairs * self.epochs / self.step_seconds if self.step_seconds > 0 else 0.0


class TrainingUnavailableError(RuntimeError):
    """The training extra is not installed; the message says how to install it."""


def train(
    base: str,
    pairs: Sequence[TrainingPair],
    out: Path,
    options: TrainOptions,
    progress: Progress | None = None,
) -> TrainResult:
    """Fine-tune the sentence-transformers folder `base` on `pairs`, save it to `out`."""
    trainer_parts = _trainer_parts()
    model = _load(base, options)
    datasets = _datasets(pairs)
    started = time.perf_counter()
    with warnings.catch_warnings():
        # The libraries' own deprecation chatter, not the caller's concern.
        warnings.simplefilter("ignore")
        trainer = trainer_parts["trainer"](
            model=model,
            args=_arguments(trainer_parts, out.parent / f".{out.name}.checkpoints", options),
            train_dataset=datasets,
            loss=trainer_parts["loss"](model),
            callbacks=[_progress_callback(progress)] if progress else None,
        )
        # Its closing metrics would go to stdout, which `--json` keeps for the report.
        trainer.remove_callback(trainer_parts["printer"])
        stepping = time.perf_counter()
        output = trainer.train()
        step_seconds = time.perf_counter() - stepping
        model.save(str(out), create_model_card=False)
    seconds = time.perf_counter() - started
    return TrainResult(int(output.global_step), seconds, len(pairs), options.epochs, step_seconds)


def _trainer_parts() -> dict[str, Any]:
    try:
        import accelerate  # noqa: F401  (the trainer needs both)
        import datasets  # noqa: F401
        from sentence_transformers import (
            SentenceTransformerTrainer,
            SentenceTransformerTrainingArguments,
        )
        from sentence_transformers.base.sampler import BatchSamplers
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )
        from transformers import PrinterCallback
    except ImportError as error:
        raise TrainingUnavailableError(
            f"tuning needs the training extra ({error.name} is missing): "
            "pip install 'jobmatch[train]'"
        ) from error
    return {
        "trainer": SentenceTransformerTrainer,
        "arguments": SentenceTransformerTrainingArguments,
        "sampler": BatchSamplers.NO_DUPLICATES,
        "loss": MultipleNegativesRankingLoss,
        "printer": PrinterCallback,
    }


def _load(base: str, options: TrainOptions) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(options.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SentenceTransformer(base, device="cpu", local_files_only=True)
    model.max_seq_length = options.max_seq_length
    return model


def _datasets(pairs: Sequence[TrainingPair]) -> dict[str, Any]:
    """{"triplets": ..., "pairs": ...}, each only when it has rows."""
    from datasets import Dataset

    triplets = [p for p in pairs if p.negative is not None]
    plain = [p for p in pairs if p.negative is None]
    parts: dict[str, Any] = {}
    if triplets:
        parts["triplets"] = Dataset.from_dict(
            {
                "anchor": [p.anchor for p in triplets],
                "positive": [p.positive for p in triplets],
                "negative": [p.negative for p in triplets],
            }
        )
    if plain:
        parts["pairs"] = Dataset.from_dict(
            {"anchor": [p.anchor for p in plain], "positive": [p.positive for p in plain]}
        )
    return parts


def _arguments(parts: dict[str, Any], scratch: Path, options: TrainOptions) -> Any:
    return parts["arguments"](
        output_dir=str(scratch),
        num_train_epochs=options.epochs,
        per_device_train_batch_size=options.batch_size,
        learning_rate=options.learning_rate,
        warmup_steps=0.1,  # a float: a share of the steps
        seed=options.seed,
        data_seed=options.seed,
        use_cpu=True,
        batch_sampler=parts["sampler"],
        save_strategy="no",
        report_to="none",
        logging_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )


def _progress_callback(progress: Progress) -> Any:
    from transformers import TrainerCallback

    class StepProgress(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            progress(int(state.global_step), int(state.max_steps))

    return StepProgress()
