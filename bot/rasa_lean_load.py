"""Load DIET and the ResponseSelector for answering messages without building their training machinery.

Rasa 3.6 loads every TensorFlow component (`RasaModel.load`) by compiling the model with an Adam optimizer and
*training it for one step* on a stored example, so that every variable, the optimizer's included, exists before the
checkpoint is read; then it restores the checkpoint and runs one prediction to trace the prediction graph. The
training step traces the whole training graph (forward pass, losses, gradients) and allocates the optimizer's slots,
none of which a server that only answers messages ever uses. Measured on TenantLine's model: the Rasa server's
memory after loading went from 1,517 MB to 779 MB with this module, and the answers to the 370 held-out messages
were identical (intent, confidence to five decimals, entities, FAQ answer).

What we do instead, for a model loaded to predict (not to be fine-tuned, which needs the optimizer):

1. create the model object and point it at the checkpoint (`load_weights(...).expect_partial()`: TensorFlow
   restores each variable the moment it is created; the optimizer's values are left unread on purpose);
2. run the one prediction Rasa runs anyway, which creates exactly the variables prediction needs (restored as they
   appear) and computes the label embeddings from them;
3. check that every variable the model now has was found in the checkpoint (`assert_existing_objects_matched`).
   If that check fails, or anything else goes wrong, the model is loaded again Rasa's way and a warning says why,
   so a model never answers with a variable left at its random initial value.

`install()` is called by every messaging channel at start-up (next to `bot.rasa_patches`) and by the in-process
evaluations; `uninstall()` restores Rasa's loader, which the bench uses to measure the difference
(`--without lean-load`).
"""

from __future__ import annotations

import logging
from typing import Any

import rasa
from rasa.utils.tensorflow.models import RasaModel

from bot.rasa_patches import SUPPORTED_RASA  # the Rasa series every replacement of ours was written against

logger = logging.getLogger(__name__)

_ORIGINAL_LOAD = RasaModel.load.__func__


def _lean_load(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """Load a model for prediction only (see the module's docstring); Rasa's own way for fine-tuning."""
    rasas_way = (model_file_name, model_data_example, predict_data_example, finetune_mode, *args)
    if finetune_mode or predict_data_example is None:
        return _ORIGINAL_LOAD(cls, *rasas_way, **kwargs)
    try:
        model = cls(*args, **kwargs)
        status = model.load_weights(model_file_name).expect_partial()
        model.run_inference(predict_data_example)
        status.assert_existing_objects_matched()
    except Exception as error:  # noqa: BLE001 - any failure falls back to Rasa's own, slower loader
        logger.warning(
            "%s: could not load %s for prediction only (%s); loading it with its training graph instead",
            cls.__name__,
            model_file_name,
            error,
        )
        return _ORIGINAL_LOAD(cls, *rasas_way, **kwargs)
    logger.debug("%s loaded for prediction only from %s", cls.__name__, model_file_name)
    return model


def installed() -> bool:
    """Return whether TensorFlow components load for prediction only."""
    return getattr(RasaModel.load, "__func__", None) is _lean_load


def install(version: str | None = None) -> bool:
    """Make `RasaModel.load` skip the training graph when a model is loaded to predict (idempotent).

    Args:
        version: The Rasa version to check (default: the installed one).

    Returns:
        Whether the replacement is in place: for a Rasa outside the 3.6 series nothing is changed and a warning
        says so.
    """
    version = version or rasa.__version__
    if not version.startswith(SUPPORTED_RASA):
        logger.warning("Rasa %s: lean model loading is written for Rasa %sx; left out", version, SUPPORTED_RASA)
        return False
    RasaModel.load = classmethod(_lean_load)
    return True


def uninstall() -> None:
    """Restore Rasa's own loader."""
    RasaModel.load = classmethod(_ORIGINAL_LOAD)
