"""The database's own guard of the public benefit ledger (`benefit_publicentry`), installed by
migration 0002, on PostgreSQL and on SQLite alike: an entry is never updated or deleted, as the
books' entries are not, by the same triggers (`ledger.triggers.AppendOnly`). A correction is a
new entry. The verifiers (`benefit_verify`, tools/verify_benefit.py) still catch a change made
behind the triggers' back; the triggers keep an ordinary UPDATE or DELETE, by code or by hand,
from making one.
"""

from ledger.triggers import AppendOnly

PUBLIC_LEDGER_APPEND_ONLY = AppendOnly(("benefit_publicentry",), function="benefit_refuse_change",
                                       what="the public ledger")

statements = PUBLIC_LEDGER_APPEND_ONLY.statements
install = PUBLIC_LEDGER_APPEND_ONLY.install
remove = PUBLIC_LEDGER_APPEND_ONLY.remove
SQLITE_INSTALL = PUBLIC_LEDGER_APPEND_ONLY.sqlite_install
SQLITE_REMOVE = PUBLIC_LEDGER_APPEND_ONLY.sqlite_remove
