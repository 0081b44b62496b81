"""Learner ids as the stack names them: the keyed pseudonym of an IFI in a tenant, under the
default pseudonym key, which the test stacks keep (docs/privacy.md)."""

from learning_record.domain.data_keys import Pseudonymise, pseudonymiser
from learning_record.platform.settings import ProcessSettings

PSEUDONYM_KEY = ProcessSettings().pseudonym_key.get_secret_value()


def learner_ids(tenant: str) -> Pseudonymise:
    """The pseudonymiser of ``tenant``: its learner ids by IFI."""
    return pseudonymiser(PSEUDONYM_KEY, tenant)
