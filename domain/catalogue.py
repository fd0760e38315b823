"""The catalogue of kinds of work the ledger knows: data, not code paths.

Each kind names the domain event that records it (past tense), the theme of the year-end summary it
belongs to, the aggregate it lives in, and its own fields with types, units and labels in Chinese
and English. Schemas (service), forms (api) and figures (projections) are all derived from here.

Field types:
  count  an integer measure, may be approximate (余/多/近); integer  a plain whole number
  money  an amount in yuan (Decimal), may be approximate
  text   free text; choice  one of ``choices``; date  an ISO date
"""
from __future__ import annotations

from dataclasses import dataclass, field

APPROX_MARKERS = ("余", "多", "近")

# The themes of 一、主要工作 in the seed, plus the two closing sections.
THEMES: dict[str, tuple[str, str]] = {
    "political": ("把握政治方向，引导民营经济人士健康成长", "Political guidance of private entrepreneurs"),
    "business": ("优化营商环境，助力民企健康发展", "Business environment and services to firms"),
    "social": ("履行社会责任，积极回报社会", "Social responsibility"),
    "chambers": ("强化服务引导，指导商会协会建设", "Guidance of chambers and associations"),
    "research": ("开展调查研究，建言资政", "Research and policy advice"),
    "self": ("加强自身建设，不断增强履职尽责能力", "Building the Federation itself"),
    "problems": ("存在问题", "Problems"),
    "plans": ("工作思路", "Plan for next year"),
}
WORK_THEMES = ("political", "business", "social", "chambers", "research", "self")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # count | money | text | choice | date
    zh: str
    en: str
    unit: str | None = None
    unit_en: str | None = None
    required: bool = False
    choices: dict[str, tuple[str, str]] | None = None
    minimum: int | None = 0
    maximum: int | None = None
    help_zh: str = ""
    help_en: str = ""

    @property
    def is_measure(self) -> bool:
        return self.type in ("count", "money")


@dataclass(frozen=True)
class Kind:
    key: str
    event: str
    zh: str
    en: str
    theme: str
    fields: tuple[Field, ...] = ()
    aggregate: str = "action"  # action | chamber | enterprise
    narrative_zh: str = ""  # how the summary names one action of this kind ("招聘会")
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _count(name, zh, en, unit, unit_en, **kw) -> Field:
    return Field(name, "count", zh, en, unit=unit, unit_en=unit_en, **kw)


def _money(name, zh, en, **kw) -> Field:
    return Field(name, "money", zh, en, unit="元", unit_en="yuan", **kw)


def _text(name, zh, en, **kw) -> Field:
    return Field(name, "text", zh, en, minimum=None, **kw)


def _choice(name, zh, en, choices, **kw) -> Field:
    return Field(name, "choice", zh, en, choices=choices, minimum=None, **kw)


PARTICIPANTS = _count("participants", "参加人数", "participants", "名", "people")
PARTNER = _text("partner", "联合单位", "partner body", help_zh="如：区人社局", help_en="e.g. the district HR bureau")
LEVELS = {
    "national": ("全国", "national"),
    "provincial": ("省级", "provincial"),
    "municipal": ("市级", "municipal"),
    "district": ("区级", "district"),
}

KINDS: tuple[Kind, ...] = (
    Kind("training", "TrainingHeld", "理想信念教育培训", "Training", "political",
         (PARTICIPANTS, _text("venue", "地点", "venue"), _text("topic", "主题", "topic")),
         narrative_zh="教育培训"),
    Kind("talk", "TalkGiven", "知识讲座 / 宣讲", "Talk or lecture", "business",
         (PARTICIPANTS, _text("speaker", "主讲人", "speaker"), _text("topic", "主题", "topic")),
         narrative_zh="知识讲座"),
    Kind("policy_booklet", "PolicyBookletIssued", "印发政策汇编", "Policy booklet issued", "business",
         (_count("copies", "印发册数", "copies", "册", "copies", required=True),),
         narrative_zh="政策汇编"),
    Kind("job_fair", "JobFairHeld", "招聘会", "Job fair", "business",
         (_choice("mode", "形式", "mode", {"online": ("线上", "online"), "offline": ("线下", "offline")},
                  required=True),
          _count("posts", "提供岗位数", "posts offered", "个", "posts"),
          _count("seekers_matched", "达成就业意向人数", "job seekers matched", "名", "people"),
          PARTNER),
         narrative_zh="招聘会"),
    Kind("tax_guidance", "TaxGuidanceGiven", "税企互动", "Tax guidance session", "business",
         (_count("firms_served", "服务企业数", "firms served", "家", "firms"), PARTNER),
         narrative_zh="税企互动"),
    Kind("matchmaking", "MatchmakingHeld", "银企对接会", "Bank–enterprise matchmaking", "business",
         (_count("firms_with_intent", "达成合作意向企业数", "firms with cooperation intent", "家", "firms"),
          PARTNER),
         narrative_zh="银企对接活动"),
    Kind("deal", "DealSigned", "签订授信协议", "Credit agreement signed", "business",
         (_money("amount", "授信金额", "credit amount", required=True),
          _text("bank", "金融机构", "bank")),
         narrative_zh="授信协议"),
    Kind("legal_service", "LegalServiceGiven", "法律服务", "Legal service", "business",
         (_count("firms_served", "服务企业数", "firms served", "家", "firms"), PARTNER),
         narrative_zh="法律服务"),
    Kind("litigation_help", "LitigationHelped", "涉诉协调", "Litigation help", "business",
         (_count("firms_served", "涉诉企业数", "firms helped", "家", "firms"),),
         narrative_zh="涉诉协调"),
    Kind("listing_support", "ListingSupported", "上市服务", "Listing (IPO) support", "business",
         (_count("issues_resolved", "协调解决问题数", "issues resolved", "个", "issues"),),
         narrative_zh="上市服务"),
    Kind("capital_conference", "CapitalConferenceAttended", "组织参加投融资大会", "Capital conference attended",
         "business",
         (_count("firms_count", "组织企业数", "firms taken", "家", "firms"),),
         narrative_zh="投融资大会"),
    Kind("survey", "SurveyConducted", "调查 / 寻苗行动 / 问卷", "Survey of firms", "research",
         (_choice("method", "方式", "method",
                  {"seedling": ("寻苗行动", "seedling search"), "questionnaire": ("问卷调查", "questionnaire"),
                   "research": ("调研", "field research")}, required=True),
          _count("firms_surveyed", "调查企业数", "firms surveyed", "家", "firms"),
          _count("reports", "形成报告数", "reports submitted", "份", "reports")),
         narrative_zh="调查"),
    Kind("symposium", "SymposiumHeld", "座谈会", "Symposium", "research",
         (_count("firms_attending", "参会企业数", "firms attending", "家", "firms"), PARTICIPANTS),
         narrative_zh="座谈会"),
    Kind("poverty_relief", "PovertyReliefReported", "精准扶贫", "Poverty alleviation", "social",
         (_count("households", "脱贫户数", "households lifted out", "户", "households"),
          _count("people", "脱贫人数", "people lifted out", "人", "people"),
          _text("village", "帮扶村", "village")),
         narrative_zh="精准扶贫"),
    Kind("donation", "DonationMade", "捐款捐物", "Donation", "social",
         (_choice("form", "形式", "form", {"money": ("捐款", "money"), "goods": ("捐物", "goods")}, required=True),
          _money("amount", "金额（估值）", "amount (value)", required=True),
          _choice("cause", "用途", "cause",
                  {"poverty": ("精准扶贫", "poverty alleviation"), "epidemic": ("疫情防控", "epidemic"),
                   "other": ("其他公益", "other")}, required=True),
          _choice("donor_type", "捐赠方类型", "donor type",
                  {"chamber": ("商会（协会）", "chamber"), "firm": ("企业", "firm"),
                   "person": ("个人", "person")}, required=True),
          _text("donor", "捐赠方", "donor"),
          _count("donor_count", "捐赠方数量", "number of donors", "家", "donors",
                 help_zh="汇总登记时填写，如“40 多家”", help_en="for a summarised entry, e.g. 'over 40'")),
         narrative_zh="捐款捐物"),
    Kind("cadre_deployed", "CadreDeployed", "干部下沉社区", "Cadres deployed to community", "social",
         (_count("people", "下沉人数", "cadres", "名", "people", required=True), _text("community", "社区", "community")),
         narrative_zh="下沉社区"),
    Kind("epidemic_care", "EpidemicCareProvided", "企业抗疫救治", "Epidemic care by a firm", "social",
         (_count("beds", "提供床位", "beds", "个", "beds"),
          _count("patients_admitted", "收治患者", "patients admitted", "人", "patients"),
          _count("patients_cured", "治愈出院", "patients cured", "人", "patients")),
         narrative_zh="抗疫救治"),
    Kind("award", "AwardReceived", "评选表彰", "Award received", "social",
         (_choice("level", "级别", "level", LEVELS, required=True),
          _text("honour", "荣誉名称", "honour", required=True),
          _choice("category", "荣誉类别", "category",
                  {"epidemic_contribution": ("防疫突出贡献", "epidemic contribution"),
                   "advanced_collective": ("先进集体", "advanced collective"),
                   "four_good": ("“四好”商会", "four-good chamber"),
                   "rule_of_law": ("法治示范", "rule-of-law model"),
                   "other": ("其他", "other")}, required=True),
          _choice("recipient_type", "获奖方类型", "recipient type",
                  {"firm": ("企业", "firm"), "chamber": ("商会（协会）", "chamber"),
                   "person": ("个人", "person")}, required=True),
          _text("recipient", "获奖方", "recipient", help_zh="企业获奖请在“涉及企业”中填写",
                help_en="for firms, list them under firms")),
         narrative_zh="表彰"),
    Kind("livestream", "LivestreamHeld", "直播带货", "Livestream sales event", "chambers",
         (_count("views", "观看流量", "views", "人次", "views"), _text("organiser", "主办商会", "organising chamber")),
         narrative_zh="直播带货"),
    Kind("chamber_founded", "ChamberFounded", "新建商会", "Chamber founded", "chambers",
         (_text("chamber", "商会名称", "chamber", required=True),), aggregate="chamber", narrative_zh="新建"),
    Kind("chamber_preparing", "ChamberPreparationStarted", "筹建商会", "Chamber in preparation", "chambers",
         (_text("chamber", "商会名称", "chamber", required=True),), aggregate="chamber", narrative_zh="筹建"),
    Kind("chamber_election", "ChamberElectionHeld", "商会换届", "Chamber election", "chambers",
         (_text("chamber", "商会名称", "chamber", required=True),), aggregate="chamber", narrative_zh="换届"),
    Kind("chamber_membership", "MembershipCounted", "会员 / 党员人数", "Membership and party members counted",
         "chambers",
         (_text("chamber", "商会名称", "chamber", required=True),
          _count("members", "会员企业数", "member firms", "名", "members", required=True),
          _count("party_members", "党员人数", "party members", "名", "party members")),
         aggregate="chamber", narrative_zh="会员统计"),
    Kind("enterprise_listed", "EnterpriseListed", "企业上市", "Enterprise listed", "business",
         (_choice("board", "板块", "board",
                  {"main": ("主板", "main board"), "chinext": ("创业板", "ChiNext"), "star": ("科创板", "STAR"),
                   "overseas": ("境外", "overseas"), "neeq": ("新三板", "NEEQ")}, required=True),),
         aggregate="enterprise", narrative_zh="上市"),
    Kind("reserve_pool", "EnterpriseReserved", "入选上市后备库", "Entered the listing reserve pool", "business",
         (_choice("pool", "后备库", "pool", {"gold": ("金种子", "gold seed"), "silver": ("银种子", "silver seed")},
                  required=True),),
         aggregate="enterprise", narrative_zh="上市后备"),
    Kind("problem", "ProblemNoted", "存在问题", "Problem noted", "problems", (), narrative_zh="问题"),
    Kind("target", "TargetSet", "工作目标", "Target set for a year", "plans",
         (Field("for_year", "integer", "目标年度", "for year", minimum=2000, maximum=2100, required=True),
          _choice("target_kind", "对应工作类型", "kind of work targeted", None, required=True),
          _count("quantity", "目标数量", "quantity", None, None, required=True),
          _text("unit", "单位", "unit", help_zh="如：场、件、次", help_en="e.g. sessions")),
         narrative_zh="目标"),
    Kind("theme_title", "ThemeTitleSet", "总结板块标题", "Summary section title", "plans",
         (Field("for_year", "integer", "年度", "year", minimum=2000, maximum=2100, required=True),
          _choice("section", "板块", "section", {k: THEMES[k] for k in WORK_THEMES}, required=True)),
         narrative_zh="标题"),
    Kind("work", "WorkDone", "其他工作", "Other work", "self",
         (_text("measure_name", "计量名称", "measure name"),
          _count("measure", "数量", "quantity", None, None),
          _text("unit", "单位", "unit")),
         narrative_zh="工作"),
)

KINDS_BY_KEY: dict[str, Kind] = {k.key: k for k in KINDS}
KINDS_BY_EVENT: dict[str, Kind] = {k.event: k for k in KINDS}


def kind(key: str) -> Kind:
    return KINDS_BY_KEY[key]


# Fields every kind carries (besides its own); the actor is set by the service, never by the caller.
COMMON_FIELDS: tuple[Field, ...] = (
    _text("organisation", "单位", "organisation", required=True),
    Field("occurred_on", "date", "日期", "date", required=True, minimum=None),
    Field("ends_on", "date", "结束日期", "end date", minimum=None, help_zh="跨天活动填写", help_en="for multi-day work"),
    _text("title", "标题", "title", required=True),
    _text("notes", "备注", "notes"),
    _choice("theme", "所属板块", "theme", None, help_zh="默认按类型归入", help_en="defaults to the kind's theme"),
)
