"""The forms of cooperation the firm offers (design, section 1): one list for contracts, clients, audits and
reports."""

CONTRACT_TYPES = [
    ("hour_package", "Hour Package"),
    ("monthly_flat", "Flat Monthly Fee"),
]
# a client without a running contract is served ad-hoc
COOPERATION_FORMS = [("adhoc", "Ad-hoc Help"), *CONTRACT_TYPES]
