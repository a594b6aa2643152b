"""Prepared travels (F-31, F-32, F-33, R-09): the holder's declaration and the vouchers it implies.

Which vouchers a travel implies, by where it goes relative to the carnet's departure (home)
customs territory:

    home → abroad     [validation if the carnet is not active yet], exportation, importation
    abroad → home     re-exportation, re-importation
    abroad → abroad   re-exportation, importation (from the same territory to itself: the
                      extension of stay of R-08 — re-export, then import with a new final date)

plus transit open + transit close for every transit country, between the two.

Sets (R-09): one set of a kind is one pair of vouchers of the paper carnet. An exportation
opens an export/re-import set, an importation opens an import/re-export set and a transit
country takes a transit set; re-exportation and re-importation use the second half of a set
already opened, so a return travel — or the split re-exportations of R-06 — consumes none.
Saving a travel consumes its sets; deleting an untransacted travel gives back exactly what it
consumed (`Travel.sets_consumed`).

Callers use `from portal.domain import travels` and `travels.<name>`; the modules: `input`
(what the holder declares), `entry` (the carnet in the wallet: signature and general list),
`sets` (the vouchers and sets a travel implies), `prepare` (saving a travel and its vouchers),
`manage` (reading, editing and deleting travels).
"""

from __future__ import annotations

from portal.domain.travels.entry import (
    accept_general_list,
    add_to_wallet,
    check_signature,
    wallet_entry,
)
from portal.domain.travels.input import (
    SET_OF_KIND,
    TRANSPORT_MODES,
    TravelInput,
)
from portal.domain.travels.manage import (
    active_vouchers,
    check_holder,
    delete_travel,
    destination_label,
    edit_travel,
    get_travel,
    is_transacted,
    travels_of,
)
from portal.domain.travels.prepare import (
    check_carnet_usable,
    chosen_items,
    fill_travel,
    lock_carnet,
    needs_validation,
    prepare_travel,
    validate_travel,
)
from portal.domain.travels.sets import (
    consume_sets,
    give_back_sets,
    plan,
    sets_needed,
)

__all__ = [
    "SET_OF_KIND",
    "TRANSPORT_MODES",
    "TravelInput",
    "accept_general_list",
    "active_vouchers",
    "add_to_wallet",
    "check_carnet_usable",
    "check_holder",
    "check_signature",
    "chosen_items",
    "consume_sets",
    "delete_travel",
    "destination_label",
    "edit_travel",
    "fill_travel",
    "get_travel",
    "give_back_sets",
    "is_transacted",
    "lock_carnet",
    "needs_validation",
    "plan",
    "prepare_travel",
    "sets_needed",
    "travels_of",
    "validate_travel",
    "wallet_entry",
]
