from django.core import checks

from benefit.signing import key_problem


@checks.register()
def signing_key(app_configs, **kwargs):
    """With DEBUG off, the public ledger's head cannot be signed without a key: say so at
    start (runserver, migrate, check) instead of at the first request."""
    problem = key_problem()
    if problem is None:
        return []
    return [checks.Error(problem, hint="Set BENEFIT_SIGNING_KEY (see docs/configuration.md).",
                         id="benefit.E001")]
