"""All models, imported here so Alembic and the tests see the whole metadata."""

# ruff: noqa: I001  (accounts and tenancy first: the other modules refer to them)
from portal.models.accounts import Account, Office, Region, TenantOwned  # noqa: F401
from portal.models.audit import AuditChain, AuditCheckpoint, AuditEvent  # noqa: F401
from portal.models.tenancy import Country, Currency, CustomsAdministration, CustomsTerritory  # noqa: F401
from portal.models.identity import *  # noqa: F401,F403,E402
from portal.models.carnets import *  # noqa: F401,F403,E402
from portal.models.jobs import *  # noqa: F401,F403,E402
from portal.models.bulk import *  # noqa: F401,F403,E402
from portal.models.transactions import *  # noqa: F401,F403,E402
from portal.models.customs_desk import *  # noqa: F401,F403,E402
from portal.models.wallet import *  # noqa: F401,F403,E402
from portal.models.monitoring import *  # noqa: F401,F403,E402
from portal.models.transition import *  # noqa: F401,F403,E402
from portal.models.predeclarations import *  # noqa: F401,F403,E402
from portal.models.info import *  # noqa: F401,F403,E402
from portal.models.chambers import *  # noqa: F401,F403,E402
from portal.models.archive import *  # noqa: F401,F403,E402
