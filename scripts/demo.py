"""Demo data: the 2020 work ledger of 东西湖区工商联, rebuilt action by action from the seed summary.

``demo_payloads()`` gives a deterministic list of action payloads, each exactly the JSON that
``service.schemas.load_action`` (and so ``taizhang import``) takes, each with its own stable ``key``.
Folded by the figure declarations of ``projections/figures.py`` they reproduce every figure of the
seed's 一、主要工作 for 2020; the seed's 二、存在问题 are ``problem`` records, its 2021 targets
``target`` records and its section headings ``theme_title`` records. The opening stocks (chamber
membership at 2019-12-31, the two enterprises listed before 2020) are dated in earlier years.

Firms carry synthetic but valid 统一社会信用代码 (``domain.uscc.make_uscc``): the seed's firms under
their short names as the seed writes them, the rest with generated names. A firm has one code
wherever it appears, so a firm at several job fairs counts once among the 597.

    python -m scripts.demo > demo.jsonl && taizhang import demo.jsonl
"""
from __future__ import annotations

import json
import random
import sys

from domain.uscc import make_uscc

ORG = "东西湖区工商联"
YEAR = 2020

# --- firms ------------------------------------------------------------------------------------

# The firms the seed names (short names, as the summary writes them), then a few more named in its
# 2021 plan. Their codes are make_uscc(1 + position): never reorder, only append.
SEED_FIRMS = (
    "友发包装", "良品铺子", "回盛生物", "菱电电控", "千里马", "昊诚能源", "卓尔投资", "太康医院",
    "博大集团", "周黑鸭", "塞力斯", "京东物流", "万科物业", "天济中药", "战友集团", "武汉客厅",
    "长兴电器", "联创物流", "江汉公司", "道森媒体",
)

_TRADES = (
    "金银湖", "吴家山", "径河", "柏泉", "辛安渡", "新沟", "走马岭", "将军路", "慈惠", "东山",
    "常青", "银湖", "汉江", "楚天", "鑫源", "华创", "恒泰", "瑞丰", "金桥", "中诚",
    "宏达", "盛世", "博远", "天成", "嘉禾", "兴旺", "永安", "顺达", "联海", "荣昌",
    "九州", "鼎盛", "卓越", "恒通", "誉丰", "润泽", "锦程", "明德", "佳禾", "泰和",
    "众邦", "森茂", "安捷", "迅驰", "沃德", "海纳", "聚力", "同创", "凯瑞", "华瑞",
    "百川", "远航", "德信", "万通", "精工", "星辰", "蓝天", "绿源", "晨光", "长捷",
)
_INDUSTRIES = (
    "科技", "物流", "食品", "包装", "机电", "医药", "建材", "商贸", "电子", "环保", "供应链管理", "智能装备",
)
GENERATED_SEED_BASE = 10_000


def generated_firm_name(i: int) -> str:
    """The i-th generated firm name (0 ≤ i < 720), all distinct: "武汉临空港鑫源科技有限公司"."""
    trade = _TRADES[i % len(_TRADES)]
    industry = _INDUSTRIES[(i // len(_TRADES) + i) % len(_INDUSTRIES)]
    # (trade, industry) is unique: i ↦ (i mod 60, i div 60) is a bijection and the shift keeps it so.
    prefix = "武汉临空港" if i % 3 == 0 else "武汉"
    return f"{prefix}{trade}{industry}有限公司"


def firm(name: str) -> dict:
    """A firm of the seed, with its fixed code."""
    return {"name": name, "uscc": make_uscc(1 + SEED_FIRMS.index(name))}


def gen_firm(i: int) -> dict:
    """The i-th generated firm, with its fixed code."""
    return {"name": generated_firm_name(i), "uscc": make_uscc(GENERATED_SEED_BASE + i)}


# Generated firms with roles of their own, numbered above the job-fair pool (which takes the first
# 581): the reserve pool, the capital conferences and the epidemic-contribution award.
GOLD_EXTRA = (700, 701, 702)            # three more gold seeds beside 千里马
CONFERENCE_EXTRA = tuple(range(703, 716))  # reserve firms taken to the capital conferences
AWARD_EXTRA = (640, 641, 642, 643, 644, 645)  # six more epidemic-contribution award winners

# --- job fairs --------------------------------------------------------------------------------

JOB_FAIR_FIRMS = 597
# Seed firms that offered posts at the fairs (some at several).
JOB_FAIR_SEED_FIRMS = ("良品铺子", "周黑鸭", "京东物流", "万科物业", "友发包装", "联创物流", "回盛生物",
                       "菱电电控", "千里马", "昊诚能源", "长兴电器", "天济中药", "战友集团", "塞力斯",
                       "博大集团", "江汉公司")
# (date, mode, title, firms appearing here first, firms returning from earlier fairs, posts, seekers)
JOB_FAIRS = (
    ("2020-02-20", "online", "“百名就业专员服务千企”线上招聘会（第一场）", 62, 0, 1020, 186),
    ("2020-03-12", "online", "“百名就业专员服务千企”线上招聘会（第二场）", 85, 12, 1350, 242),
    ("2020-03-31", "online", "复工复产专场线上招聘会", 70, 15, 1106, 205),
    ("2020-04-20", "online", "“春风行动”线上招聘会", 78, 10, 1230, 231),
    ("2020-05-15", "online", "民营企业招聘月线上招聘会", 66, 18, 1012, 198),
    ("2020-06-18", "online", "高校毕业生就业专场线上招聘会", 74, 14, 1180, 226),
    ("2020-07-10", "offline", "“百名就业专员服务千企”现场招聘会", 91, 25, 1060, 301),
    ("2020-08-20", "online", "临空港民营企业秋季线上招聘会", 71, 16, 1090, 214),
)


def job_fair_firm_lists() -> list[list[dict]]:
    """The firms of each fair: 597 distinct firms in all, some at several fairs (fixed seed)."""
    rng = random.Random(20200220)
    pool = [firm(n) for n in JOB_FAIR_SEED_FIRMS]
    pool += [gen_firm(i) for i in range(JOB_FAIR_FIRMS - len(pool))]
    rng.shuffle(pool)
    lists: list[list[dict]] = []
    start = 0
    for _, _, _, new, returning, _, _ in JOB_FAIRS:
        firms = pool[start:start + new]
        start += new
        earlier = [f for fair in lists for f in fair]
        seen: dict[str, dict] = {}
        for f in earlier:
            seen.setdefault(f["uscc"], f)
        if returning:
            firms = firms + rng.sample(sorted(seen.values(), key=lambda f: f["uscc"]), returning)
        lists.append(firms)
    assert start == JOB_FAIR_FIRMS
    # The big employers come to most fairs.
    for regular in ("良品铺子", "京东物流", "周黑鸭"):
        f = firm(regular)
        for fair in lists[::2]:
            if f not in fair:
                fair.append(f)
    return lists


# --- the payloads -----------------------------------------------------------------------------

def demo_payloads() -> list[dict]:
    """Every demo action, in a fixed order, each with a stable key."""
    out: list[dict] = []
    counters: dict[tuple[str, str], int] = {}

    def add(kind: str, occurred_on: str, title: str, notes: str = "", *, firms=None, **values) -> None:
        year = occurred_on[:4]
        n = counters[(year, kind)] = counters.get((year, kind), 0) + 1
        payload = {"key": f"demo-{year}-{kind}-{n:02d}", "kind": kind, "organisation": ORG,
                   "occurred_on": occurred_on, "title": title, "notes": notes}
        if firms is not None:
            payload["firms"] = firms
        payload.update({k: v for k, v in values.items() if v is not None})
        out.append(payload)

    def approx(value, marker):
        return {"value": value, "approx": marker}

    # Opening stocks --------------------------------------------------------------------------
    opening_members = (("年轻一代商会", 40, 8), ("新竹商会", 28, 6), ("工程机械配件商会", 22, 4))
    closing_members = (("年轻一代商会", 44, 10), ("新竹商会", 30, 7), ("工程机械配件商会", 23, 6))
    for chamber, members, party in opening_members:
        add("chamber_membership", "2019-12-31", f"{chamber}2019年末会员及党员人数", chamber=chamber,
            members=members, party_members=party)
    add("enterprise_listed", "2016-10-31", "塞力斯在上海证券交易所主板上市", firms=[firm("塞力斯")],
        board="main")
    add("enterprise_listed", "2016-11-11", "周黑鸭在香港联合交易所主板上市", firms=[firm("周黑鸭")],
        board="overseas")

    # (一) political guidance: 7 trainings, 55余 participants (only the Suzhou trip counts them) -----
    add("training", "2020-05-21", "商会协会支部书记、委员学习习近平总书记关于民营经济发展的重要论述精神专题培训",
        "以党建促会建", topic="习近平总书记关于民营经济发展的重要论述")
    add("training", "2020-06-11", "全面提高新时代党支部建设质量专题培训", topic="非公党支部建设质量")
    add("training", "2020-06-29", "学习践行《党章》坚定理想信念知识讲座", "庆祝建党 99 周年",
        topic="学习践行《党章》，坚定理想信念")
    add("training", "2020-07-31", "商会协会进军营，共庆八一建军节",
        "民营经济人士走进军营，与部队官兵交流互动，继承和弘扬“拥政爱民、拥军优属”优良传统", venue="驻区部队营区")
    add("training", "2020-09-10", "民营经济人士疫后重振理想信念教育专题报告会", topic="坚定发展信心，促进疫后重振")
    add("training", "2020-10-19", "赴新加坡国立大学苏州研究院理想信念教育培训",
        "组织民营企业负责人赴苏州学习，促进民营企业疫后重振，加强发展信心", ends_on="2020-10-23",
        venue="新加坡国立大学苏州研究院", participants=approx(55, "余"))
    add("training", "2020-11-18", "年轻一代民营经济人士“听党话、跟党走”主题教育培训", topic="理想信念教育")
    add("work", "2020-06-24", "非公党建互学互鉴活动", "庆祝建党 99 周年，组织民营企业、商会协会党员参加",
        theme="political")
    add("work", "2020-08-26", "“不忘初心、牢记使命”主题教育成果巩固学习", theme="political")

    # (二) business environment ----------------------------------------------------------------
    talks = (
        ("2020-04-28", "直播平台网络知识培训", "线上举办"),
        ("2020-05-27", "疫情后企业人力资本实务培训", ""),
        ("2020-06-16", "科技成果转化培训", ""),
        ("2020-07-09", "减税降费政策解读讲座", ""),
        ("2020-08-13", "企业上市与资本市场知识讲座", ""),
        ("2020-09-24", "企业复工复产安全生产知识讲座", ""),
    )
    for day, title, notes in talks:
        add("talk", day, title, notes or "“双万双联”助企活动")
    add("policy_booklet", "2020-05-20", "印发《武汉临空港开发区惠企政策汇编》", "联合经科局深入企业开展政策宣讲",
        copies=approx(1000, "余"))
    for (day, mode, title, _, _, posts, seekers), firms in zip(JOB_FAIRS, job_fair_firm_lists()):
        add("job_fair", day, title, "“百名就业专员服务千企”活动", firms=firms, mode=mode, posts=posts,
            seekers_matched=seekers, partner="区人社局")
    add("tax_guidance", "2020-05-28", "“税企互动助力复工复产”活动", "税务专员现场讲解减税降费政策",
        firms_served=47, partner="区税务局")
    add("matchmaking", "2020-05-12", "银企对接会（科保贷、信用贷专场）", firms_with_intent=8,
        partner="区金融办、区市场监管局")
    add("matchmaking", "2020-07-16", "疫后重振银企对接会", firms_with_intent=11, partner="区金融办、区市场监管局")
    add("matchmaking", "2020-10-22", "民营企业融资需求银企对接会", firms_with_intent=8,
        partner="区金融办、区市场监管局")
    add("deal", "2020-07-16", "友发包装与银行签订授信协议", "在银企对接会上签约", firms=[firm("友发包装")],
        amount=1_000_000_000)
    add("work", "2020-08-05", "联创物流、江汉公司利用“汉融通”融资平台与金融机构对接", "享受贷款补贴政策",
        firms=[firm("联创物流"), firm("江汉公司")], theme="business")
    add("work", "2020-06-08", "“同心律师服务团”《民法典》宣讲教育活动", "引导企业诚实守信、依法经营",
        theme="business")
    add("legal_service", "2020-06-30", "组织企业与检察院、法院对接", firms_served=approx(20, "多"),
        partner="区检察院、区法院")
    add("litigation_help", "2020-09-15", "为涉诉企业协调法律服务部门", "维护民企合法权益", firms_served=4)
    add("work", "2020-10-13", "民营企业法治体检专项活动", "与司法局联合开展，引导创建“法治示范企业”",
        theme="business")
    for day, name, issues, what in (
        ("2020-04-23", "回盛生物", 3, "项目备案、环保审批、企业信用"),
        ("2020-06-19", "菱电电控", 3, "项目备案、环保审批、企业信用"),
        ("2020-09-08", "千里马", 2, "项目备案、企业信用"),
        ("2020-11-05", "昊诚能源", 1, "环保审批"),
    ):
        add("listing_support", day, f"协调解决{name}上市中的{what}问题", "清除企业上市障碍", firms=[firm(name)],
            issues_resolved=issues)
    add("enterprise_listed", "2020-02-24", "良品铺子在上海证券交易所主板上市", firms=[firm("良品铺子")], board="main")
    add("enterprise_listed", "2020-08-24", "回盛生物在深圳证券交易所创业板上市", firms=[firm("回盛生物")],
        board="chinext")
    add("enterprise_listed", "2020-10-28", "菱电电控科创板成功过会", "科创板上市委员会审议通过",
        firms=[firm("菱电电控")], board="star")
    add("survey", "2020-06-01", "“寻苗行动”上市后备企业调查", "在高新技术企业和纳税大户中寻找上市苗子",
        ends_on="2020-08-31", theme="business", method="seedling", firms_surveyed=142)
    conference_firms = [firm(n) for n in ("千里马", "昊诚能源", "道森媒体", "长兴电器")]
    conference_firms += [gen_firm(i) for i in GOLD_EXTRA + CONFERENCE_EXTRA]
    add("capital_conference", "2020-09-17", "组织上市后备企业参加省政府“重点企业投融资大会”",
        firms=conference_firms[:10], firms_count=10)
    add("capital_conference", "2020-11-20", "组织上市后备企业参加市政府“高质量发展（全球）资本大会”",
        firms=conference_firms[10:20], firms_count=10)
    for name in ("千里马",):
        add("reserve_pool", "2020-12-08", f"{name}入选“金种子”上市后备库", firms=[firm(name)], pool="gold")
    for i in GOLD_EXTRA:
        f = gen_firm(i)
        add("reserve_pool", "2020-12-08", f"{f['name']}入选“金种子”上市后备库", firms=[f], pool="gold")
    for name in ("昊诚能源", "道森媒体", "长兴电器"):
        add("reserve_pool", "2020-12-08", f"{name}入选“银种子”上市后备库", firms=[firm(name)], pool="silver")

    # (三) social responsibility ---------------------------------------------------------------
    for day, donor, form, amount in (
        ("2020-06-15", "新竹商会", "money", 50_000),
        ("2020-07-20", "食品行业协会", "goods", 60_000),
        ("2020-08-18", "年轻一代商会", "money", 80_000),
        ("2020-09-22", "工程机械配件商会", "money", 40_000),
    ):
        add("donation", day, f"{donor}捐助慈惠街胡家大队精准扶贫", form=form, amount=amount, cause="poverty",
            donor_type="chamber", donor=donor)
    add("donation", "2020-10-16", "良品铺子捐款捐物助力精准扶贫", "捐款及食品物资合计近 7 万元",
        firms=[firm("良品铺子")], form="goods", amount=approx(70_000, "近"), cause="poverty",
        donor_type="firm", donor="良品铺子")
    add("work", "2020-10-30", "年轻一代商会结对帮扶园博园社区居民方志辉家庭", "连续第 4 年结对帮扶",
        theme="social")
    add("poverty_relief", "2020-11-30", "驻村帮扶慈惠街胡家大队建档立卡贫困户全部脱贫",
        "协调解决独生子女补助、上学、就业、就医等问题", households=12, people=22, village="慈惠街胡家大队")
    add("work", "2020-01-27", "发出《战疫倡议书》", "号召辖区商会协会、民营企业捐款捐物，抗击疫情", theme="social")
    add("cadre_deployed", "2020-02-10", "选派干部下沉社区开展疫情防控", ends_on="2020-04-30", people=3)
    add("epidemic_care", "2020-02-05", "将武汉客厅改建为方舱医院", "武汉客厅方舱医院", ends_on="2020-03-08",
        firms=[firm("卓尔投资")], beds=1461, patients_admitted=1760, patients_cured=868)
    add("epidemic_care", "2020-01-25", "主动担当收治新冠肺炎患者", ends_on="2020-04-15",
        firms=[firm("太康医院")], patients_admitted=303, patients_cured=253)
    # 6 chambers: one money and one goods record each; the donor is counted on the money record.
    for i, (chamber, money, goods) in enumerate((
        ("年轻一代商会", 3_200_000, 4_500_000),
        ("食品行业协会", 2_600_000, 3_800_000),
        ("新竹商会", 1_500_000, 1_200_000),
        ("工程机械配件商会", 900_000, 800_000),
        ("物流商会", 1_100_000, 2_100_000),
        ("机电行业协会", 700_000, 600_000),
    )):
        day = f"2020-02-{3 + 2 * i:02d}"
        add("donation", day, f"{chamber}捐款抗击疫情", form="money", amount=money, cause="epidemic",
            donor_type="chamber", donor=chamber, donor_count=1)
        add("donation", day, f"{chamber}捐赠防疫物资", "物资按估值登记", form="goods", amount=goods,
            cause="epidemic", donor_type="chamber", donor=chamber, donor_count=0)
    add("donation", "2020-01-25", "民营企业抗疫捐款（汇总）", "据不完全统计；捐赠方数量登记在本条",
        ends_on="2020-04-08", form="money", amount=18_000_000, cause="epidemic", donor_type="firm",
        donor="良品铺子、周黑鸭等民营企业", donor_count=approx(40, "多"))
    add("donation", "2020-01-25", "民营企业抗疫捐物（汇总）", "据不完全统计；物资按估值登记，捐赠方已计入捐款汇总",
        ends_on="2020-04-08", form="goods", amount=11_000_000, cause="epidemic", donor_type="firm",
        donor="良品铺子、周黑鸭等民营企业", donor_count=0)
    award_firms = [firm(n) for n in ("博大集团", "周黑鸭", "塞力斯")] + [gen_firm(i) for i in AWARD_EXTRA]
    add("award", "2020-09-09", "9 家企业获省工商联防疫突出贡献奖", firms=award_firms, level="provincial",
        honour="防疫突出贡献奖", category="epidemic_contribution", recipient_type="firm")
    add("award", "2020-09-08", "京东物流被评为省抗疫先进集体", firms=[firm("京东物流")], level="provincial",
        honour="抗疫先进集体", category="advanced_collective", recipient_type="firm")
    add("award", "2020-09-18", "万科物业被评为市抗疫先进集体", firms=[firm("万科物业")], level="municipal",
        honour="抗疫先进集体", category="advanced_collective", recipient_type="firm")
    add("award", "2020-09-25", "天济中药、战友集团、武汉客厅被评为区级抗疫先进集体",
        firms=[firm(n) for n in ("天济中药", "战友集团", "武汉客厅")], level="district", honour="抗疫先进集体",
        category="advanced_collective", recipient_type="firm")
    add("award", "2020-12-10", "长兴电器被评为省“法治示范企业”", firms=[firm("长兴电器")], level="provincial",
        honour="法治示范企业", category="rule_of_law", recipient_type="firm")
    add("award", "2020-12-10", "回盛生物被评为市“法治示范企业”", firms=[firm("回盛生物")], level="municipal",
        honour="法治示范企业", category="rule_of_law", recipient_type="firm")

    # (四) chambers and associations -----------------------------------------------------------
    add("work", "2020-01-16", "商会（协会）党支部书记述职评议", theme="chambers")
    add("work", "2020-06-05", "年轻一代商会新设宣传部、投资部、创投空间", theme="chambers")
    livestreams = (
        ("2020-05-08", "“税务筹划及银企对接”直播", None),
        ("2020-05-22", "“百星·百亿助力武汉”直播带货（第一场）", 250_000),
        ("2020-06-05", "“百星·百亿助力武汉”直播带货（第二场）", None),
        ("2020-06-19", "“百星·百亿助力武汉”直播带货（第三场）", 150_000),
        ("2020-07-03", "“百星·百亿助力武汉”直播带货（第四场）", None),
        ("2020-08-14", "“百星·百亿助力武汉”直播带货（第五场）", None),
        ("2020-09-11", "“百星·百亿助力武汉”直播带货（第六场）", None),
        ("2020-10-23", "“百星·百亿助力武汉”直播带货（第七场）", None),
        ("2020-11-27", "“百星·百亿助力武汉”直播带货（第八场）", None),
    )
    for day, title, views in livestreams:
        add("livestream", day, title, views=views, organiser="年轻一代商会")
    add("chamber_election", "2020-09-29", "指导物流商会完成换届", "会长单位联创物流", chamber="物流商会")
    add("chamber_election", "2020-11-12", "指导工程机械配件商会完成换届", chamber="工程机械配件商会")
    add("chamber_founded", "2020-10-20", "新建钢贸商会", chamber="钢贸商会")
    add("chamber_preparing", "2020-12-03", "筹建网络安全产业商会", chamber="网络安全产业商会")
    add("award", "2020-12-16", "年轻一代商会被评为全国“四好”商会", level="national", honour="全国“四好”商会",
        category="four_good", recipient_type="chamber", recipient="年轻一代商会")
    add("award", "2020-11-26", "食品行业协会被评为市级“四好”商会", level="municipal", honour="市级“四好”商会",
        category="four_good", recipient_type="chamber", recipient="食品行业协会")
    for chamber, members, party in closing_members:
        add("chamber_membership", "2020-12-31", f"{chamber}2020年末会员及党员人数", chamber=chamber,
            members=members, party_members=party)

    # (五) research ----------------------------------------------------------------------------
    add("work", "2020-04-10", "制定《关于进一步深化联系服务会员企业及商会（协会）工作的方案》",
        "全体党员干部对口联系民营企业、商会（协会）调研走访", theme="research")
    add("survey", "2020-04-22", "民营企业应对海外疫情冲击和国际局势动荡影响的调查", method="research")
    add("survey", "2020-05-06", "民营企业复工复产稳产情况调查",
        "形成研究报告《关于新冠疫情对东西湖区民营经济发展中长期影响的研究及对策建议》，向区委区政府建言献策",
        method="research", reports=1)
    add("symposium", "2020-05-19", "新冠疫情对民营经济影响座谈会（第一次）", "民营企业、商会协会代表",
        firms_attending=approx(20, "余"))
    add("symposium", "2020-08-11", "新冠疫情对民营经济影响座谈会（第二次）", "民营企业、商会协会代表",
        firms_attending=approx(20, "余"))
    add("survey", "2020-06-10", "新冠疫情对民营企业影响问卷调查", ends_on="2020-06-30", method="questionnaire",
        firms_surveyed=367)

    # (六) the Federation itself ----------------------------------------------------------------
    add("work", "2020-05-11", "谈心谈话", theme="self")
    add("work", "2020-09-01", "“党风廉政建设宣教月”活动", ends_on="2020-09-30", theme="self")
    add("work", "2020-07-01", "“党建引领、稳企赋能”专项行动", theme="self")
    add("work", "2020-10-09", "“心级服务、助力启航”专项行动", theme="self")

    # 二、存在问题 --------------------------------------------------------------------------------
    add("problem", "2020-12-15", "服务民营企业的覆盖面不够",
        "全区注册企业 62497 户，受国内、国际环境以及新冠肺炎疫情影响，民营企业面临的困难与问题也迅速增多。"
        "工商联人员配备不足，服务对象主要针对会员企业，对小微企业被动服务多，主动服务少。")
    add("problem", "2020-12-15", "上市后备资源相对比较薄弱",
        "由于我区民营经济以食品加工、物流、包装等传统产业为主，战略性新兴产业处于起步阶段，优质上市后备企业不多。")

    # 三、2021 年工作思路: targets ----------------------------------------------------------------
    for title, target_kind, quantity, unit, notes in (
        ("组织开展银企对接会", "matchmaking", 2, "场", "推进银企合作，拓宽融资渠道，缓解融资难题"),
        ("组织开展政企座谈会", "symposium", 2, "场", "宣传惠企政策，构建亲清政商关系"),
        ("组织赴高校培训", "training", 1, "次", "提升民营经济人士理论水平和经营管理能力"),
        ("组织赴革命老区学习", "training", 1, "次", "弘扬革命传统和艰苦奋斗精神"),
        ("为企业办实事", "work", 20, "件", "20 件以上，助推民营高质量发展"),
    ):
        add("target", "2020-12-20", title, notes, for_year=2021, target_kind=target_kind,
            quantity=quantity, unit=unit)

    # Section headings of 一、主要工作 ------------------------------------------------------------
    for section, title in (
        ("political", "把握政治方向，引导民营经济人士健康成长取得新成效"),
        ("business", "优化营商环境，助力民企健康发展彰显新作为"),
        ("social", "履行社会责任，积极回报社会作出新奉献"),
        ("chambers", "强化服务引导，指导商会协会建设展现新活力"),
        ("research", "开展调查研究，建言资政再出新成果"),
        ("self", "加强自身建设，不断增强履职尽责新能力"),
    ):
        add("theme_title", "2020-12-20", title, for_year=2020, section=section)
    return out


def main() -> None:
    """Write the demo payloads as JSONL (what ``taizhang import`` takes) to stdout or a file."""
    out = open(sys.argv[1], "w", encoding="utf-8") if len(sys.argv) > 1 else sys.stdout
    try:
        for payload in demo_payloads():
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
