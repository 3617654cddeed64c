"""`make bench`: TenantLine against the Rasa a landlord would otherwise set up, side by side, in one run.

Three parts, each a module: understanding (`bench.understanding`), speed and memory end to end (`bench.load`),
training time and model size (`bench.training`). `bench.report` turns the collected figures into
`bench/results/<run>/REPORT.md` with plots; `python -m bench --help` runs it.
"""
