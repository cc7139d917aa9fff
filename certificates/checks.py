from django.core import checks

from certificates.crypto import key_problem


@checks.register()
def id_number_keys(app_configs, **kwargs):
    """With DEBUG off, sellers' id numbers cannot be stored without a key: say so at start."""
    problem = key_problem()
    if problem is None:
        return []
    return [checks.Error(problem, hint="Set ID_NUMBER_KEYS (see docs/configuration.md).",
                         id="certificates.E001")]
