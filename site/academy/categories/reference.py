"""The reference list of practice categories, loaded by a data migration.

Source: ../shared/docs/domain.md §1 (the 2005 NPC Decision, 司规〔2020〕5号, 司发通〔2019〕56号
and the 12 review fields of 司规〔2021〕2号). Codes are ours and never change once published.
"""

# (code, official_code, name, name_en, parent_code)
MAJOR_CATEGORIES = [
    ("FY", None, "法医类", "Forensic medicine", None),
    ("WZ", None, "物证类", "Physical evidence", None),
    ("SX", None, "声像资料", "Audio-visual materials", None),
    ("HJ", None, "环境损害", "Environmental damage", None),
]

FIELDS = [
    ("FYBL", "01", "法医病理", "Forensic pathology", "FY"),
    ("FYLC", None, "法医临床", "Clinical forensic medicine", "FY"),
    ("FYJS", None, "法医精神病", "Forensic psychiatry", "FY"),
    ("FYWZ", None, "法医物证", "Forensic biology (DNA)", "FY"),
    ("FYDW", None, "法医毒物", "Forensic toxicology", "FY"),
    ("WZWS", None, "文书", "Questioned documents", "WZ"),
    ("WZHJ", None, "痕迹", "Trace/impression evidence", "WZ"),
    ("WZJT", None, "交通事故痕迹物证", "Traffic-accident trace evidence", "WZ"),
    ("WZWL", None, "微量物证", "Trace (micro) evidence", "WZ"),
    ("SXLY", None, "录音", "Audio recordings", "SX"),
    ("SXTX", None, "图像", "Images and video", "SX"),
    ("SXDZ", None, "电子数据", "Electronic data", "SX"),
    ("HJWR", None, "污染物性质", "Nature of pollutants", "HJ"),
    ("HJDB", None, "地表水与沉积物环境损害", "Surface water and sediment damage", "HJ"),
    ("HJKQ", None, "空气污染环境损害", "Air pollution damage", "HJ"),
    ("HJTR", None, "土壤与地下水环境损害", "Soil and groundwater damage", "HJ"),
    ("HJHY", None, "近海海洋与海岸带环境损害", "Coastal sea and shoreline damage", "HJ"),
    ("HJST", None, "生态系统环境损害", "Ecosystem damage", "HJ"),
    ("HJQT", None, "其他环境损害", "Other environmental damage", "HJ"),
]


def load_reference_categories(PracticeCategory) -> None:
    """Insert or update the reference rows (idempotent; takes the model so migrations can call it)."""
    by_code = {}
    for order, (code, official, name, name_en, _parent) in enumerate(MAJOR_CATEGORIES, start=1):
        by_code[code], _ = PracticeCategory.objects.update_or_create(
            code=code,
            defaults={
                "official_code": official,
                "name": name,
                "name_en": name_en,
                "level": "major",
                "parent": None,
                "sort_order": order * 100,
            },
        )
    for order, (code, official, name, name_en, parent) in enumerate(FIELDS, start=1):
        PracticeCategory.objects.update_or_create(
            code=code,
            defaults={
                "official_code": official,
                "name": name,
                "name_en": name_en,
                "level": "field",
                "parent": by_code[parent],
                "sort_order": by_code[parent].sort_order + order,
            },
        )
