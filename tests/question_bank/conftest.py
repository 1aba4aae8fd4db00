import io

import pytest

from question_bank.importing import import_questions

HEADER = "题目编号,执业类别,知识点,题型,难度,题干,选项A,选项B,选项C,选项D,答案,评分要点,解析,分值,适用考试,标签,依据"

ROWS = [
    ",FYLC,损伤程度/骨折,单选,2,肋骨骨折几处以上构成轻伤一级？,1处,2处,3处,4处,C,,见标准。,1,岗前、继续教育,损伤;骨折,SF/T 0111",
    ",法医临床,损伤程度,多选,３,下列哪些情形属于重伤二级？,一眼盲目3级,一耳听力轻度下降,面部条状瘢痕累计20cm,牙齿脱落1枚, Ａ Ｃ ,,,2,,,",
    ",FYLC,鉴定程序,判断,1,鉴定人与委托事项有利害关系的应当回避。,,,,,正确,,,1,,,",
    ",FYLC,伤残等级,填空,2,人体损伤致残程度分为____个等级。,,,,,十|10,,,1,,,",
    ",FYLC,鉴定程序,简答,3,简述鉴定人应当回避的情形。,,,,,存在利害关系等。,列出利害关系（3分）；列出其他情形（2分）,,5,,,",
    ",FYLC,损伤程度,案例分析,4,某甲鼻骨粉碎性骨折，请分析其损伤程度。,,,,,构成轻伤一级。,确定损伤类型（4分）；适用条款（6分）,,10,,案例,",
]


def template_csv(rows=None, *, header=HEADER, encoding="utf-8") -> bytes:
    text = "\n".join([header, *(ROWS if rows is None else rows)]) + "\n"
    return text.encode(encoding)


def run_import(content: bytes, filename="bank.csv", **kwargs):
    kwargs.setdefault("dry_run", False)
    return import_questions(fileobj=io.BytesIO(content), filename=filename, **kwargs)


@pytest.fixture
def imported(db):
    report = run_import(template_csv())
    assert report.ok, report.errors
    return report
