"""The figures of the year-end summary, each declared once.

A figure says which records it draws on (kinds and field filters), how it aggregates them, its unit
and its Chinese wording. Nothing here holds a number of the summary: every value is folded from the
event stream, and carries the ids (notification positions) of the events behind it.

Aggregations:
  count           live records of the year
  count_with      live records of the year that carry ``measure``
  sum             sum of ``measure`` over the year's records (``default`` when a record lacks it)
  distinct_firms  distinct firms (by 统一社会信用代码, else by name) over the year's records
  stock_sum       at year end: per subject (chamber), the latest value of ``measure``; summed
  stock_count     at year end: subjects with a matching record on or before that day
  each            one figure per record of the year, for each of ``measures``

``year_offset=-1`` computes the figure for the year before (the "去年" of a change on last year).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    key: str
    theme: str
    kinds: tuple[str, ...]
    agg: str
    label_zh: str
    label_en: str
    unit: str
    text: str  # Chinese wording; {v} is the value written the Chinese way, with its unit
    measure: str | None = None
    where: dict = field(default_factory=dict)
    default: int | None = None
    year_offset: int = 0
    measures: tuple[str, ...] = ()


F = Figure

FIGURES: tuple[Figure, ...] = (
    # (一) political guidance
    F("political.trainings", "political", ("training",), "count", "教育培训场次", "trainings held", "场次",
      "深入开展系列教育培训活动 {v}"),
    F("political.training_participants", "political", ("training",), "sum", "参训民营企业负责人", "participants",
      "名", "组织 {v}民营企业负责人参加理想信念教育培训", measure="participants"),
    # (二) business environment
    F("business.talks", "business", ("talk",), "count", "知识讲座", "talks given", "场", "举办知识讲座 {v}"),
    F("business.booklet_copies", "business", ("policy_booklet",), "sum", "印发政策汇编", "booklet copies", "册",
      "印发惠企政策汇编 {v}", measure="copies"),
    F("business.job_fairs_online", "business", ("job_fair",), "count", "线上招聘会", "online job fairs", "场",
      "举办线上招聘会 {v}", where={"mode": "online"}),
    F("business.job_fairs_offline", "business", ("job_fair",), "count", "线下招聘会", "offline job fairs", "场",
      "线下招聘会 {v}", where={"mode": "offline"}),
    F("business.job_fair_firms", "business", ("job_fair",), "distinct_firms", "提供岗位企业", "firms offering posts",
      "家", "全区 {v}企业提供用工岗位"),
    F("business.job_fair_posts", "business", ("job_fair",), "sum", "提供用工岗位", "posts offered", "个",
      "岗位 {v}", measure="posts"),
    F("business.job_fair_seekers", "business", ("job_fair",), "sum", "达成就业意向求职者", "job seekers matched",
      "名", "{v}求职者达成就业意向", measure="seekers_matched"),
    F("business.tax_firms", "business", ("tax_guidance",), "sum", "接受税务服务指导企业", "firms given tax guidance",
      "家", "{v}企业现场接受了减税降费政策服务指导", measure="firms_served"),
    F("business.matchmakings", "business", ("matchmaking",), "count", "银企对接活动", "matchmakings held", "场",
      "组织银企对接活动 {v}"),
    F("business.matchmaking_firms", "business", ("matchmaking",), "sum", "达成合作意向企业", "firms with intent",
      "家", "{v}民营企业与相关银行达成合作意向", measure="firms_with_intent"),
    F("business.credit_signed", "business", ("deal",), "sum", "签订授信协议金额", "credit signed", "元",
      "签订授信协议金额 {v}", measure="amount"),
    F("business.legal_firms", "business", ("legal_service",), "sum", "对接司法机关企业", "firms given legal service",
      "家", "组织 {v}企业与检察院、法院对接", measure="firms_served"),
    F("business.litigation_firms", "business", ("litigation_help",), "sum", "协调涉诉企业", "firms helped in litigation",
      "家", "为 {v}涉诉企业积极协调法律服务部门", measure="firms_served"),
    F("business.listing_issues", "business", ("listing_support",), "sum", "协调解决上市问题", "listing issues resolved",
      "个", "协调解决企业项目备案、环保审批、企业信用等问题 {v}", measure="issues_resolved"),
    F("business.new_listings", "business", ("enterprise_listed",), "count", "新增上市企业", "new listings", "家",
      "新增上市企业 {v}"),
    F("business.listed_total", "business", ("enterprise_listed",), "stock_count", "累计上市企业", "listed in all",
      "家", "全区境内外上市企业累计达到 {v}"),
    F("business.seedling_firms", "business", ("survey",), "sum", "寻苗行动调查企业", "firms in the seedling search",
      "家", "积极开展“寻苗行动”，调查企业 {v}", measure="firms_surveyed", where={"method": "seedling"}),
    F("business.conference_firms", "business", ("capital_conference",), "sum", "参加投融资大会上市后备企业",
      "reserve firms at capital conferences", "家", "组织 {v}上市后备企业参加投融资大会", measure="firms_count"),
    F("business.gold_seeds", "business", ("reserve_pool",), "count", "入选“金种子”库", "gold-seed entries", "家",
      "{v}企业入选“金种子”库", where={"pool": "gold"}),
    F("business.silver_seeds", "business", ("reserve_pool",), "count", "入选“银种子”库", "silver-seed entries", "家",
      "{v}企业入选“银种子”库", where={"pool": "silver"}),
    # (三) social responsibility
    F("social.poverty_donations", "social", ("donation",), "sum", "精准扶贫捐款捐物", "poverty-relief donations", "元",
      "组织商会（协会）和爱心企业捐款捐物 {v}", measure="amount", where={"cause": "poverty"}),
    F("social.households_lifted", "social", ("poverty_relief",), "sum", "脱贫户数", "households lifted out", "户",
      "建档立卡贫困户 {v}", measure="households"),
    F("social.people_lifted", "social", ("poverty_relief",), "sum", "脱贫人数", "people lifted out", "人",
      "{v}全部脱贫", measure="people"),
    F("social.cadres_deployed", "social", ("cadre_deployed",), "sum", "下沉社区干部", "cadres deployed", "名",
      "选派 {v}干部下沉社区开展疫情防控", measure="people"),
    F("social.epidemic_care", "social", ("epidemic_care",), "each", "企业抗疫救治", "epidemic care by firms", "",
      "{firm}{title}", measures=("beds", "patients_admitted", "patients_cured")),
    F("social.epidemic_donor_chambers", "social", ("donation",), "sum", "抗疫捐赠商会（协会）", "chambers donating",
      "家", "辖区 {v}商会（协会）", measure="donor_count", default=1,
      where={"cause": "epidemic", "donor_type": "chamber"}),
    F("social.epidemic_donor_firms", "social", ("donation",), "sum", "抗疫捐赠民营企业", "firms donating", "家",
      "{v}民营企业", measure="donor_count", default=1, where={"cause": "epidemic", "donor_type": "firm"}),
    F("social.epidemic_money", "social", ("donation",), "sum", "抗疫捐款", "epidemic donations (money)", "元",
      "累计捐款 {v}", measure="amount", where={"cause": "epidemic", "form": "money"}),
    F("social.epidemic_goods", "social", ("donation",), "sum", "抗疫捐物估值", "epidemic donations (goods)", "元",
      "捐物估值 {v}", measure="amount", where={"cause": "epidemic", "form": "goods"}),
    F("social.epidemic_award_firms", "social", ("award",), "distinct_firms", "获防疫突出贡献奖企业",
      "firms given the epidemic contribution award", "家", "{v}企业获省工商联防疫突出贡献奖",
      where={"category": "epidemic_contribution"}),
    F("social.district_collectives", "social", ("award",), "distinct_firms", "区级抗疫先进集体",
      "district advanced collectives", "家", "{v}企业被评为区级先进集体",
      where={"category": "advanced_collective", "level": "district"}),
    # (四) chambers and associations
    F("chambers.livestreams", "chambers", ("livestream",), "count", "直播带货活动", "livestream events", "场",
      "开展直播带货系列活动 {v}"),
    F("chambers.livestreams_with_views", "chambers", ("livestream",), "count_with", "统计流量的直播",
      "livestreams with views counted", "场", "{v}直播带货", measure="views"),
    F("chambers.livestream_views", "chambers", ("livestream",), "sum", "直播带货流量", "livestream views", "人次",
      "流量 {v}", measure="views"),
    F("chambers.members_last_year", "chambers", ("chamber_membership",), "stock_sum", "去年会员企业",
      "member firms last year", "名", "会员企业由去年的 {v}", measure="members", year_offset=-1),
    F("chambers.members", "chambers", ("chamber_membership",), "stock_sum", "会员企业", "member firms", "名",
      "增加到 {v}", measure="members"),
    F("chambers.party_members_last_year", "chambers", ("chamber_membership",), "stock_sum", "去年党员人数",
      "party members last year", "名", "党员人数由去年的 {v}", measure="party_members", year_offset=-1),
    F("chambers.party_members", "chambers", ("chamber_membership",), "stock_sum", "党员人数", "party members", "名",
      "增加到 {v}", measure="party_members"),
    F("chambers.elections", "chambers", ("chamber_election",), "count", "完成换届商会", "chamber elections", "家",
      "指导 {v}商会完成换届"),
    F("chambers.founded", "chambers", ("chamber_founded",), "count", "新建商会", "chambers founded", "家",
      "新建商会 {v}"),
    F("chambers.preparing", "chambers", ("chamber_preparing",), "count", "筹建商会", "chambers in preparation", "家",
      "筹建商会 {v}"),
    # (五) research
    F("research.surveys", "research", ("survey",), "count", "专题调查", "surveys conducted", "项",
      "开展专题调查 {v}", where={"method": "research"}),
    F("research.symposium_firms", "research", ("symposium",), "sum", "座谈会企业代表", "firms at symposiums", "家",
      "组织 {v}民营企业、商会协会代表", measure="firms_attending"),
    F("research.symposiums", "research", ("symposium",), "count", "座谈会", "symposiums", "次", "召开座谈会 {v}"),
    F("research.questionnaire_firms", "research", ("survey",), "sum", "问卷调查企业", "firms in questionnaires", "家",
      "对 {v}企业开展问卷调查", measure="firms_surveyed", where={"method": "questionnaire"}),
    F("research.reports", "research", ("survey",), "sum", "研究报告", "research reports", "份",
      "形成研究报告 {v}", measure="reports"),
)

FIGURES_BY_KEY = {f.key: f for f in FIGURES}


AGG_WORDS = {
    "count": "count of live records of the year",
    "count_with": "count of live records of the year that carry the measure",
    "sum": "sum of the measure over the year's live records",
    "distinct_firms": "distinct firms (by 统一社会信用代码, else name) over the year's live records",
    "stock_sum": "at year end, per chamber the latest value of the measure, summed",
    "stock_count": "at year end, enterprises with a matching record on or before that day",
    "each": "one figure per live record of the year, for each measure",
}


def figures_markdown() -> str:
    """docs/figures.md: every figure key with what it draws on (generated; a test keeps it current)."""
    lines = [
        "# Figures of the year-end summary",
        "",
        "Generated from `projections/figures.py` (`python -m projections.figures > docs/figures.md`).",
        "Keys are stable: the JSON summary, the xlsx/csv downloads and the figure pages use them.",
        "Every figure carries `event_ids`: the log positions of the events behind it.",
        "",
        "| key | 指标 | figure | kinds | filter | aggregation | measure | unit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in FIGURES:
        key = f"{f.key}.<n>.<{'|'.join(f.measures)}>" if f.agg == "each" else f.key
        where = ", ".join(f"{k}={v}" for k, v in f.where.items()) or "—"
        agg = AGG_WORDS[f.agg] + (" (the year before)" if f.year_offset == -1 else "")
        measure = f.measure or ("/".join(f.measures) if f.measures else "—")
        if f.default is not None:
            measure += f" (default {f.default})"
        lines.append(f"| `{key}` | {f.label_zh} | {f.label_en} | {', '.join(f.kinds)} | {where} | {agg} | "
                     f"{measure} | {f.unit or '—'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(figures_markdown(), end="")
