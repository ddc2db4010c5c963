from flask_babel import lazy_gettext as _l

UNIT_KIND_LABELS = {
    "enterprise": _l("Enterprise"),
    "individual": _l("Individual business"),
    "cooperative": _l("Farmers' cooperative"),
    "school": _l("School"),
    "kindergarten": _l("Kindergarten"),
    "hospital": _l("Hospital or clinic"),
    "market": _l("Market"),
    "supermarket": _l("Supermarket"),
    "park": _l("Park"),
    "scenic_spot": _l("Scenic spot"),
    "public_institution": _l("Public institution"),
    "other": _l("Other"),
}
SCALE_LABELS = {"large": _l("Large"), "medium": _l("Medium"), "small": _l("Small"), "micro": _l("Micro")}
SECTOR_LABELS = {
    "mining": _l("Mining"),
    "hazardous_chemicals": _l("Hazardous chemicals"),
    "fireworks": _l("Fireworks"),
    "transport": _l("Transport"),
    "construction": _l("Construction"),
    "explosives": _l("Civil explosives"),
    "metal_smelting": _l("Metal smelting"),
    "fishing": _l("Fishing"),
    "dust_explosion": _l("Dust explosion risk"),
    "ammonia_refrigeration": _l("Ammonia refrigeration"),
    "confined_space": _l("Confined spaces"),
    "crowded_place": _l("Crowded place"),
}
MODE_LABELS = {"key": _l("Key management"), "packaged": _l("Packaged management")}
