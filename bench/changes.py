"""TenantLine's changes from Rasa's defaults: which the bench can switch off to measure, and what the others are.

`SWITCHABLE` are the changes to how Rasa's server runs that `python -m bench --without NAME` leaves out of
TenantLine's server (and only there: the bare-Rasa baseline never has them). A load phase run with and without one
measures what it buys; docs/bench.md keeps those comparisons, with the commands that reproduce them.

`FIXED` are the changes that are part of the trained model or of the deployment rather than of a running server,
so there is nothing to switch: the report puts each next to the figures of the run that speak to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One departure from Rasa's defaults and where it lives."""

    name: str
    description: str
    where: str
    bought: str = ""
    """What the with/without comparison in docs/bench.md found, in a few words ("" when the run itself measures it)."""


SWITCHABLE: dict[str, Change] = {
    change.name: change
    for change in (
        Change(
            "nlu-off-loop",
            "Rasa parses each message on the server's event loop; TenantLine parses in one dedicated thread, so "
            "webhooks are acknowledged while a message parses",
            "bot/rasa_patches.py",
            "no difference the bench could tell from the noise of other jobs (acknowledgements wait on the rest of "
            "the turn, ~0.15 CPU s a message, not on the ~0.016 s parse)",
        ),
        Change(
            "hot-path",
            "Rasa checks the action server's response schema against the JSON Schema meta-schema on every action "
            "call and searches every Event subclass for each event it loads; TenantLine checks the schema once and "
            "looks event classes up in a table",
            "bot/rasa_hot_path.py",
            "about a quarter of the throughput at 10 and 50 conversations (11.0 against 8.2 replies/s at 50) and "
            "0.03-0.05 CPU s a message; with the pooled SQLite connections, also found by profiling, throughput "
            "at 50 went from 7.5 to 11-15.5 replies/s",
        ),
        Change(
            "lean-load",
            "Rasa loads DIET and the ResponseSelector by training them for one step (tracing the training graph, "
            "building the optimizer) before reading their weights; TenantLine loads them for prediction only",
            "bot/rasa_lean_load.py",
            "Rasa server 821 MB instead of 1,553 MB with identical answers; the model loads in 8.5 s instead of 33.5 s",
        ),
        Change(
            "turn-thread",
            "Rasa runs every conversation's turn on the server's one event loop, where the webhooks are answered too; "
            "TenantLine runs tenants' turns on an event loop of their own in another thread, so the webhooks' loop "
            "only checks, records and acknowledges",
            "channels/core/turns.py",
            "webhook acknowledgement p99 106 / 216 ms at 10 / 50 conversations against 296 / 817 without it "
            "(60 / 196 against 218 / 527 in a second pair); throughput within the noise",
        ),
        Change(
            "heap-freeze",
            "Python's full garbage collections walk every object the loaded model left behind (about 830,000; "
            "340-360 ms each, every thread stopped); TenantLine freezes them once the model is loaded, so later "
            "collections skip them",
            "bot/heap.py",
            "the longest full collection under load 48 ms instead of 361; acknowledgement p99 106 / 216 ms at 10 / 50 "
            "conversations against 325 / 346 without it",
        ),
        Change(
            "process-settings",
            "Rasa's server and the action server run with glibc's malloc arenas capped at 2 (MALLOC_ARENA_MAX) "
            "instead of 8 per core",
            "bot/settings.py `server_environment`",
            "18-44 MB less Rasa server memory in two pairs of runs; speed differences within the noise",
        ),
    )
}
"""The changes `--without` can leave out, by name."""

FIXED: dict[str, Change] = {
    change.name: change
    for change in (
        Change(
            "pipeline",
            "a smaller DIET (one 128-unit transformer layer instead of two of 256, fewer epochs), a ResponseSelector "
            "for `faq` only, a TF-IDF logistic regression blended with DIET, and the safety triage before the fallback",
            "config.yml, docs/nlu-pipeline.md",
        ),
        Change(
            "policies",
            "RulePolicy and MemoizationPolicy only: no TEDPolicy or UnexpecTEDIntentPolicy to train or run",
            "config.yml, docs/nlu-pipeline.md",
            "TEDPolicy took as long to train as DIET and made no prediction in the conversation tests",
        ),
        Change(
            "story augmentation",
            "Rasa glues stories into 50x augmented training trackers that only TEDPolicy learns from; TenantLine "
            "trains with `--augmentation 0`, since its Memoization and Rule policies drop augmented trackers",
            "bot/training.py",
            "the dialogue part of a full training in 37 s instead of 57 s (two runs each, this machine), with the "
            "same memorised turns and rules",
        ),
        Change(
            "tracker store",
            "conversations kept in SQLite (default: in memory, lost on restart), through Rasa's SQL store with pooled "
            "connections in WAL mode (Rasa's opens a connection per read and write and flushes the disk twice per "
            "save); PostgreSQL in production",
            "endpoints.yml, bot/scale/tracker_store.py",
            "conversations survive a restart; CPU per message the same as in memory (0.185 against 0.184 s); WAL: "
            "5.5 ms less a turn blocked in the save on the turns' thread (profile), replies a second within the "
            "noise",
        ),
        Change(
            "lock store and workers",
            "one Sanic worker per Rasa server, as Rasa's default; production scales out with replicas behind nginx "
            "sharing an atomic Redis lock store (Rasa's RedisLockStore can interleave two replicas' tickets)",
            "bot/scale/",
            "measured by tests/scale/ (docs/production-profile.md), not by this bench",
        ),
    )
}
"""The changes built into the model or the deployment, by name."""
