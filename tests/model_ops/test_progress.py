"""Progress read from `rasa train` output as Rasa 3.6 prints it (log lines and tqdm bars redrawn with \\r)."""

from __future__ import annotations

from bot.model_ops.progress import MAX_LINE, LineSplitter, Progress

RASA_OUTPUT = (
    "2026-11-21 13:40:01 INFO     rasa.engine.training.hooks  - Restored component 'TEDPolicy' from cache.\n"
    "2026-11-21 13:40:02 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.\n"
    "Epochs:   0%|          | 0/60 [00:00<?, ?it/s]\r"
    "Epochs:   2%|▏         | 1/60 [00:02<02:10,  2.2s/it, t_loss=9.1, i_acc=0.12]\r"
    "Epochs:  45%|████▌     | 27/60 [00:40<00:50,  1.5s/it, t_loss=2.0, i_acc=0.9]"
)


def feed_all(progress: Progress, splitter: LineSplitter, text: str) -> None:
    for line in splitter.push(text):
        progress.feed(line)


def test_progress_follows_components_and_epochs_across_chunk_boundaries() -> None:
    progress, splitter = Progress(), LineSplitter()
    for start in range(0, len(RASA_OUTPUT), 7):  # chunks cut lines anywhere
        feed_all(progress, splitter, RASA_OUTPUT[start : start + 7])
    assert progress.restored == ["TEDPolicy"]
    assert progress.trained == ["DIETClassifier"]
    assert (progress.epoch, progress.epochs) == (1, 60)  # the last bar is still unterminated
    for line in splitter.flush():
        progress.feed(line)
    assert progress.describe() == "Training DIETClassifier: epoch 27 of 60"


def test_progress_says_done_after_finish_and_saved_lines() -> None:
    progress = Progress()
    progress.feed("INFO rasa.engine.training.hooks - Starting to train component 'ResponseSelector'.")
    progress.feed("INFO rasa.engine.training.hooks - Finished training component 'ResponseSelector'.")
    assert progress.describe() == "Finished ResponseSelector"
    progress.feed("Your Rasa model is trained and saved at 'models/x.tar.gz'.")
    assert progress.describe() == "Model trained and saved"


def test_progress_before_any_component_says_it_is_reading_data() -> None:
    assert Progress().describe() == "Reading the training data and checking what changed"


def test_progress_ignores_garbage_and_huge_lines() -> None:
    progress = Progress()
    assert not progress.feed("\x00\xff random noise Epochs: lots")
    assert not progress.feed("Epochs: " + "|" * (MAX_LINE * 3) + " 5/60")
    assert progress.epoch is None and progress.trained == []


def test_splitter_keeps_memory_bounded_without_line_breaks() -> None:
    splitter = LineSplitter()
    for _ in range(100):
        assert splitter.push("x" * 1000) == []
    rest = splitter.flush()
    assert len(rest[0]) <= MAX_LINE * 4
