"""The issuing associations' staff portal on chamber.<domain> (docs/transition.md "The chamber
portal"): staff log in with password and TOTP (always), then see their association's carnets,
a carnet's digital and paper transactions side by side and its paper cover pages, discharge it
(F-74), attach cover pages (F-37) and ask the itinerary advice (F-71). Staff admins invite
colleagues. Every change is in the audit trail (the NGA's chain).

The blueprint is in app.py, so that portal/login.py can load staff (session.py) without
importing the views."""
