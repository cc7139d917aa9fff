"""The words the certificates app puts on pages, labels and messages."""

# The commitment of the 承诺达标合格证 (承诺达标合格证管理办法, in force 2026-02-01).
COMMITMENT = ("我承诺对生产销售的食用农产品：不使用禁用农药兽药、停用兽药和非法添加物；"
              "常规农药兽药残留不超标；对承诺的真实性负责。")
# E-commerce Law art. 10: a farmer selling their own produce needs no business registration.
SELF_PRODUCE = "个人销售自产农副产品，依法无需登记"
LABEL_TITLE = "承诺达标合格证"

# The claims only a verified certificate may back, and the words that make them in a farm's
# own labels (free text typed before certificates existed).
CLAIM_WORDS = {
    "green": ("绿色食品", "绿色"),
    "organic": ("有机",),
    "gi": ("地理标志", "地标", "地理标识"),
}


def claims_in(label: str) -> set[str]:
    """The certificate kinds a free-text label claims (绿色食品 -> green, 有机蔬菜 -> organic)."""
    return {kind for kind, words in CLAIM_WORDS.items() if any(w in label for w in words)}


def shown_labels(labels: list[str], certified: set[str] | list[str]) -> list[str]:
    """A farm's own labels as the public sees them: a claim of 绿色食品, 有机 or 地理标志 only
    where a verified certificate of that kind backs it (else it is not shown at all)."""
    backed = set(certified)
    return [label for label in labels if claims_in(label) <= backed]


def seller_line(verification: dict | None) -> str:
    """What a page says of the seller's verification."""
    if not verification or verification.get("status") != "verified":
        return "未核验"
    if verification.get("kind") == "individual_farmer":
        return f"已核验 · {SELF_PRODUCE}"
    return f"已核验 · {KIND_NAMES.get(verification.get('kind'), '')}"


KIND_NAMES = {
    "individual_farmer": "个人（销售自产农副产品）",
    "individual_business": "个体工商户",
    "company": "企业",
    "cooperative": "农民专业合作社",
}
CERTIFICATE_NAMES = {
    "chengnuo_hege": "承诺达标合格证",
    "green": "绿色食品",
    "organic": "有机产品",
    "gi": "地理标志",
    "sc": "食品生产许可（SC）",
    "test_report": "检测报告",
}
BASIS_NAMES = {
    "self_control": "质量安全控制符合要求",
    "own_test": "自行检测合格",
    "commissioned_test": "委托检测合格",
}
