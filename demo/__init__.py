"""The demo marketplace that `manage.py demo` (and so `make run`) loads: development tooling,
kept out of the production apps.

One module per domain (`producers`, `orders`, `promotion`, ...), each with
`load(*, stdout) -> list[DemoAccount]`, listed in `management/commands/demo.py` in the order they
build on each other. Every row is made through the apps' services, as the API makes it, so the
demo never shows a state the product cannot reach; the past is made on a clock set back
(`demo.clock`), never by writing a timestamp. Each `load` is idempotent: it looks for what it
made before and makes only what is missing.
"""
