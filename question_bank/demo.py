"""Demo bank for seed_demo: questions composed for the demo from short facts written here.

Each fact (knowledge point, sentence start, right ending, three wrong endings, basis) yields a single
choice, two true/false and a fill-in question; pairs of facts yield multiple choice; each field also
gets short-answer and case-analysis questions. The result is published in bulk (approved), plus a
few drafts waiting for review. Idempotent: nothing happens when the demo codes exist.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from academy.categories.models import PracticeCategory

from .importing import _ensure_knowledge_point, _knowledge_points, bulk_insert
from .interchange import ALL_USABLE, QuestionData
from .models import OPTION_LABELS, Question, QuestionType
from .services import question_submit_for_review

FACTS = {
    "FYLC": [
        (
            "损伤程度",
            "评定损伤程度时，应当以",
            "原发性损伤及其直接后果为依据",
            ["伤者主诉为依据", "治疗费用为依据", "住院天数为依据"],
            "SF/T 0111",
        ),
        (
            "损伤程度",
            "损伤程度鉴定一般应在",
            "损伤后伤情稳定后进行",
            ["受伤当日完成", "伤者出院前一日完成", "立案后一年内完成"],
            "SF/T 0111",
        ),
        (
            "损伤程度/骨折",
            "骨折的诊断应当以",
            "影像学检查结合临床表现为依据",
            ["伤者自述为依据", "目击者证言为依据", "单次体格检查为依据"],
            "SF/T 0111",
        ),
        (
            "损伤程度/骨折",
            "陈旧性骨折与新鲜骨折的鉴别主要依据",
            "骨痂形成等影像学特征",
            ["伤者年龄", "受伤部位的疼痛程度", "报案时间"],
            "",
        ),
        (
            "伤残等级",
            "人体损伤致残程度共分为",
            "十个等级",
            ["五个等级", "七个等级", "十二个等级"],
            "人体损伤致残程度分级",
        ),
        (
            "伤残等级",
            "致残程度鉴定的时机应当在",
            "医疗终结后",
            ["受伤后即刻", "入院当天", "手术前"],
            "人体损伤致残程度分级",
        ),
        (
            "伤残等级",
            "多处损伤致残时，应当",
            "分别评定各处致残程度",
            ["只评定最轻的一处", "将各处等级简单相加", "只评定伤者指定的一处"],
            "",
        ),
        (
            "功能评定/视觉",
            "视力检查应当采用",
            "客观方法与主观检查相结合",
            ["仅凭伤者自述", "仅测裸眼近视力", "仅询问家属"],
            "SF/T 0111",
        ),
        (
            "功能评定/听觉",
            "听力障碍程度的评定应当结合",
            "客观听力学检查结果",
            ["伤者职业", "伤者文化程度", "伤者居住地"],
            "",
        ),
        (
            "三期评定",
            "误工期是指",
            "损伤后需要休息、不能正常工作的时间",
            ["伤者全部住院时间", "伤者的全年工作日", "诉讼持续的时间"],
            "GA/T 1193",
        ),
        (
            "三期评定",
            "护理期是指",
            "伤者在医疗期间生活自理能力下降需要他人帮助的时间",
            ["伤者家属请假的时间", "伤者住院的总费用", "伤者康复锻炼的次数"],
            "GA/T 1193",
        ),
        (
            "鉴定程序",
            "法医临床检验时，被鉴定人为女性且检查涉及隐私部位的，应当",
            "有女性工作人员在场",
            ["由被鉴定人自行检查", "省略该项检查", "只凭照片完成"],
            "司法部令第132号",
        ),
    ],
    "FYBL": [
        (
            "死亡原因",
            "确定死亡原因最可靠的方法是",
            "系统尸体解剖结合组织病理学检验",
            ["仅作尸表检验", "仅询问现场目击者", "仅查阅病历"],
            "",
        ),
        (
            "死亡原因",
            "根本死因是指",
            "引起死亡的原发性疾病或损伤",
            ["死亡前的最后一个症状", "死者生前最严重的慢性病", "尸体上最明显的损伤"],
            "",
        ),
        (
            "死亡时间",
            "早期推断死亡时间常用的指标是",
            "尸温、尸斑和尸僵",
            ["死者衣着", "现场温湿度计读数", "死者职业"],
            "",
        ),
        ("死亡时间", "尸斑开始出现的时间一般在死后", "1至2小时", ["10分钟内", "24小时后", "一周以后"], ""),
        ("尸体现象", "尸僵通常首先出现于", "下颌关节", ["膝关节", "足趾关节", "腰椎关节"], ""),
        (
            "机械性损伤",
            "生前伤与死后伤鉴别的主要依据是",
            "生活反应的有无",
            ["损伤的长度", "损伤的位置高低", "损伤的数量"],
            "",
        ),
        (
            "机械性损伤",
            "挫裂创的创缘特点是",
            "不整齐并伴有表皮剥脱和挫伤",
            ["整齐光滑", "呈规则几何形状", "完全无出血"],
            "",
        ),
        (
            "机械性窒息",
            "缢死的索沟特点多为",
            "颈前位置较高、向后上方提空",
            ["水平环绕颈部", "位于胸部", "深浅完全一致"],
            "",
        ),
        ("机械性窒息", "溺死的重要检验方法之一是", "硅藻检验", ["DNA 亲子检验", "笔迹检验", "音频降噪"], ""),
        (
            "检材提取",
            "尸体解剖提取毒物检材时，应当",
            "分别包装并注明名称和提取时间",
            ["混装在同一容器中", "加入清水稀释", "放置室温一周后送检"],
            "",
        ),
        (
            "鉴定程序",
            "进行尸体解剖前，鉴定机构应当",
            "通知死者家属或委托人到场",
            ["事先征得所有邻居同意", "先行火化部分组织", "发布公开公告"],
            "司法部令第132号",
        ),
        ("组织病理", "组织病理学检验的切片一般采用", "苏木精—伊红染色", ["墨水染色", "碘酒涂抹", "不作任何染色"], ""),
    ],
    "WZWS": [
        (
            "笔迹",
            "笔迹鉴定中，样本的比对条件应当尽量与检材",
            "书写时间、条件和字体相近",
            ["颜色完全相同", "纸张厚度相同", "页码相同"],
            "GB/T 37239",
        ),
        (
            "笔迹",
            "笔迹特征中的细节特征包括",
            "笔画的起收笔和搭配方式",
            ["纸张的克重", "打印机型号", "装订方式"],
            "GB/T 37239",
        ),
        (
            "笔迹",
            "伪装笔迹通常表现为",
            "书写速度变慢、笔画不流畅",
            ["书写水平明显提高", "字迹与本人完全一致", "全部使用印刷体"],
            "",
        ),
        (
            "印章印文",
            "印章印文鉴定的样本应当是",
            "同一时期形成的真实印文",
            ["任意一枚相似印章", "电子扫描的彩色图片", "手绘的印文草图"],
            "GB/T 37231",
        ),
        (
            "印章印文",
            "检验印文是否为盖印形成，主要观察",
            "印油的分布和边缘特征",
            ["纸张的价格", "文件的页数", "文件的标题"],
            "",
        ),
        (
            "印刷文件",
            "鉴别文件是否为同一台打印机打印，重点检验",
            "设备固有的缺陷特征",
            ["文件的文字内容", "文件的语言种类", "文件的折叠次数"],
            "",
        ),
        (
            "篡改文件",
            "检验文件是否被添改，常用的方法之一是",
            "光谱检验比较墨迹差异",
            ["询问文件持有人", "比较文件字数", "称量文件重量"],
            "",
        ),
        (
            "朱墨时序",
            "朱墨时序鉴定是确定",
            "印文与文字形成的先后顺序",
            ["文件的准确制作日期", "印章的制作厂家", "墨水的价格"],
            "",
        ),
        (
            "文件形成时间",
            "文件形成时间鉴定应当",
            "具备可靠的比对样本和方法",
            ["仅凭检验人员经验推测", "仅看文件新旧程度", "仅听取当事人陈述"],
            "",
        ),
        (
            "检材要求",
            "文书鉴定一般应当提交",
            "检材原件",
            ["检材的手机照片", "检材的黑白复印件", "检材的口述内容"],
            "司法部令第132号",
        ),
        (
            "检材要求",
            "检材与样本在送检时应当",
            "分别标识、分开包装",
            ["装订在一起", "用订书钉固定在一起", "在检材上书写说明"],
            "",
        ),
        (
            "鉴定意见",
            "文书鉴定意见的表述等级中，最为肯定的是",
            "肯定同一或否定同一",
            ["倾向认定", "无法判断", "不予鉴定"],
            "",
        ),
    ],
    "SXDZ": [
        (
            "电子数据提取",
            "电子数据提取前，应当首先",
            "计算并记录原始介质的哈希值",
            ["格式化目标硬盘", "关闭检验记录", "删除临时文件"],
            "GB/T 29360",
        ),
        (
            "电子数据提取",
            "对存储介质进行检验时，应当使用",
            "写保护设备",
            ["原始介质直接开机运行", "网络共享方式访问", "带病毒的检验机"],
            "GB/T 29360",
        ),
        (
            "电子数据提取",
            "完整性校验常用的算法是",
            "SHA-256 等哈希算法",
            ["压缩算法", "图像缩放算法", "文字排版算法"],
            "",
        ),
        (
            "数据恢复",
            "被删除文件能够恢复的原因是",
            "删除操作通常只修改文件系统记录而未覆盖数据区",
            ["删除的文件会自动上传云端", "硬盘会备份所有文件", "删除操作不起作用"],
            "",
        ),
        (
            "数据恢复",
            "固态硬盘删除数据后恢复难度较大，主要因为",
            "TRIM 指令可能导致数据块被擦除",
            ["固态硬盘容量较大", "固态硬盘价格较高", "固态硬盘没有文件系统"],
            "",
        ),
        (
            "即时通讯",
            "即时通讯记录的真实性鉴定应当关注",
            "数据库记录与系统日志的一致性",
            ["聊天对象的头像", "手机的颜色", "聊天字数的多少"],
            "",
        ),
        (
            "即时通讯",
            "手机即时通讯数据提取时，应当优先",
            "采用只读方式并记录提取过程",
            ["直接在原手机上删除无关数据", "将手机恢复出厂设置", "让当事人自行导出后发送"],
            "",
        ),
        (
            "电子邮件",
            "电子邮件来源分析的重要依据是",
            "邮件头中的传输路径信息",
            ["邮件的字体", "邮件的签名图片", "邮件正文的长度"],
            "",
        ),
        (
            "软件功能",
            "恶意程序功能鉴定一般采用",
            "静态分析与动态分析相结合",
            ["只看程序文件名", "只看程序图标", "只询问开发者"],
            "",
        ),
        (
            "相似性",
            "软件源代码相似性鉴定应当排除",
            "公知公用代码和开源代码",
            ["全部注释内容", "全部变量名", "所有函数"],
            "",
        ),
        (
            "鉴定程序",
            "电子数据鉴定过程中应当",
            "全程记录操作步骤，确保可重复验证",
            ["只保存最终结论", "不作任何记录", "事后凭记忆补记"],
            "司法部令第132号",
        ),
        (
            "鉴定程序",
            "检验过程中如需对原始数据进行必要的改变，应当",
            "在记录中说明原因和影响",
            ["不予说明", "只向委托人口头说明", "改变后删除原始数据"],
            "",
        ),
    ],
}

SUBJECTIVE = {
    "FYLC": [
        (
            "简答",
            "简述损伤程度鉴定应当遵循的基本原则。",
            "以原发性损伤及其直接后果为依据，全面分析，综合评定。",
            [("原发性损伤为主要依据", 2), ("结合直接后果", 2), ("全面分析综合评定", 1)],
        ),
        (
            "案例分析",
            "某甲在纠纷中被打伤，X 线示左侧第 4、5、6 肋骨骨折。伤后三个月委托鉴定。请分析其损伤程度并说明理由。",
            "肋骨骨折 3 处以上，依标准构成轻伤一级；应核实骨折为新鲜骨折并排除陈旧伤。",
            [("明确骨折数量与部位", 3), ("区分新鲜与陈旧骨折", 3), ("正确适用标准条款", 4)],
        ),
    ],
    "FYBL": [
        (
            "简答",
            "简述生活反应在法医病理学中的意义。",
            "生活反应是生前伤的标志，可用于鉴别生前伤与死后伤。",
            [("说明生活反应的概念", 2), ("说明其鉴别意义", 3)],
        ),
        (
            "案例分析",
            "某男性被发现死于出租屋内，颈部有一条斜行向上的索沟，现场有悬吊物。请说明鉴定思路。",
            "应进行系统尸体解剖，检验索沟特征及生活反应，结合现场勘验判断缢死并排除他杀。",
            [("尸体解剖与索沟检验", 4), ("生活反应检验", 3), ("结合现场综合判断", 3)],
        ),
    ],
    "WZWS": [
        (
            "简答",
            "简述笔迹鉴定对比对样本的要求。",
            "样本应真实可靠、数量充足，并与检材在书写时间、条件和字体上具有可比性。",
            [("样本真实", 2), ("数量充足", 1), ("具有可比性", 2)],
        ),
        (
            "案例分析",
            "一份借条上的签名被当事人否认，委托人只提供了签名的复印件。请说明受理和检验应注意的问题。",
            "应要求提交原件；复印件检验受限，须评估条件并在意见中说明局限。",
            [("要求提交原件", 4), ("评估检验条件", 3), ("意见中说明局限", 3)],
        ),
    ],
    "SXDZ": [
        (
            "简答",
            "简述电子数据完整性校验的方法和意义。",
            "提取前后计算哈希值并比对，证明数据在鉴定过程中未被改变。",
            [("说明哈希校验方法", 3), ("说明其证明作用", 2)],
        ),
        (
            "案例分析",
            "委托人送检一部手机，要求提取并鉴定其中聊天记录的真实性。请说明检验步骤。",
            "封存登记，只读提取，计算哈希，分析数据库与日志一致性，形成记录并出具意见。",
            [("封存与登记", 2), ("只读提取并校验", 4), ("真实性分析方法", 4)],
        ),
    ],
}

CODE_MARK = "-D"


def _questions_for(category_id: int, code: str) -> list[QuestionData]:
    out: list[QuestionData] = []
    facts = FACTS[code]

    def add(**kwargs):
        out.append(QuestionData(category_id=category_id, usable_for=ALL_USABLE, tags=("演示",), **kwargs))

    for index, (kp, start, right, wrongs, basis) in enumerate(facts):
        choices = [right, *wrongs]
        shift = index % 4
        ordered = choices[shift:] + choices[:shift]
        add(
            qtype=QuestionType.SINGLE,
            knowledge_point=kp,
            difficulty=1 + index % 5,
            stem=f"<p>{start}（　）。</p>",
            options=tuple((OPTION_LABELS[i], t, t == right, None) for i, t in enumerate(ordered)),
            basis=basis,
            explanation=f"{start}{right}。",
        )
        add(
            qtype=QuestionType.TRUE_FALSE,
            knowledge_point=kp,
            difficulty=1 + index % 3,
            stem=f"<p>{start}{right}。</p>",
            true_false_answer=True,
            basis=basis,
        )
        add(
            qtype=QuestionType.TRUE_FALSE,
            knowledge_point=kp,
            difficulty=2 + index % 3,
            stem=f"<p>{start}{wrongs[index % 3]}。</p>",
            true_false_answer=False,
            explanation=f"应为：{start}{right}。",
            basis=basis,
        )
        add(
            qtype=QuestionType.FILL_BLANK,
            knowledge_point=kp,
            difficulty=2 + index % 4,
            stem=f"<p>{start}____。</p>",
            blank_answers=((right,),),
            basis=basis,
        )
        add(
            qtype=QuestionType.TRUE_FALSE,
            knowledge_point=kp,
            difficulty=3,
            stem=f"<p>关于{kp.split('/')[-1]}：{start}{wrongs[(index + 1) % 3]}。</p>",
            true_false_answer=False,
            basis=basis,
        )
    for index in range(len(facts)):
        a, b = facts[index], facts[(index + 5) % len(facts)]
        options = [
            (f"{a[1]}{a[2]}", True),
            (f"{b[1]}{b[3][0]}", False),
            (f"{b[1]}{b[2]}", True),
            (f"{a[1]}{a[3][1]}", False),
        ]
        if index % 2:
            options.reverse()
        add(
            qtype=QuestionType.MULTIPLE,
            knowledge_point=a[0],
            difficulty=3 + index % 3,
            stem=f"<p>下列说法中，正确的有（　）。（第{index + 1}组）</p>",
            options=tuple((OPTION_LABELS[i], t, ok, None) for i, (t, ok) in enumerate(options)),
            points=Decimal("2"),
        )
    for kind, stem, answer, points in SUBJECTIVE[code]:
        for variant in ("", "（结合执业实践）", "（要求条理清楚）"):
            add(
                qtype=QuestionType.SHORT_ANSWER if kind == "简答" else QuestionType.CASE_ANALYSIS,
                knowledge_point="综合",
                difficulty=4,
                stem=f"<p>{stem}{variant}</p>",
                reference_answer=answer,
                scoring_points=tuple((t, Decimal(p)) for t, p in points),
                points=Decimal(sum(p for _t, p in points)),
            )
    return out


def seed(*, stdout) -> None:
    if Question.objects.filter(code__contains=CODE_MARK).exists():
        stdout.write("Question bank: demo questions already there.")
        return
    editor = get_user_model().objects.filter(username="editor").first()
    categories = {c.code: c for c in PracticeCategory.objects.filter(code__in=FACTS)}
    known = _knowledge_points([c.pk for c in categories.values()])
    items: list[QuestionData] = []
    for code, category in categories.items():
        batch = _questions_for(category.pk, code)
        for number, data in enumerate(batch, start=1):
            data.code = f"{code}{CODE_MARK}{number:05d}"
        items.extend(batch)
    kp_ids = [_ensure_knowledge_point(known, d.category_id, d.knowledge_point) for d in items]
    from taggit.models import Tag

    tags = {"演示": Tag.objects.get_or_create(name="演示")[0]}
    created = bulk_insert(items, user=editor, kp_ids=kp_ids, tags_by_name=tags)
    # Approved in bulk (the demo stands for reviews done earlier), except a few left as drafts.
    drafts = {q.pk for q in created[::60]}
    now = timezone.now()
    live_ids = [q.pk for q in created if q.pk not in drafts]
    for start in range(0, len(live_ids), 500):
        Question.objects.filter(pk__in=live_ids[start : start + 500]).update(
            live=True,
            live_revision=F("latest_revision"),
            has_unpublished_changes=False,
            first_published_at=now,
            last_published_at=now,
        )
    if editor is not None:
        for question in Question.objects.filter(pk__in=drafts):
            question_submit_for_review(question=question, user=editor)
    stdout.write(
        f"Question bank: {len(live_ids)} approved questions and {len(drafts)} drafts in {len(categories)} fields."
    )
