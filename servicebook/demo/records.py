"""Demo service records: months of cases with a realistic life cycle, cut off at `now`."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from servicebook.demo.people import AGENTS, Customer

CHANNELS = (["电话", "在线客服", "邮件", "面谈", "社交媒体", "官网意见箱", "APP"],
            [30, 28, 12, 3, 7, 8, 12])
TYPES = (["咨询", "故障", "投诉", "售后", "建议", "需求", "回访", "其他"], [30, 20, 12, 15, 6, 7, 5, 5])
PRIORITY_BY_TYPE = {
    "故障": [35, 45, 20], "投诉": [25, 50, 25], "售后": [10, 50, 40], "咨询": [3, 22, 75],
    "建议": [0, 15, 85], "需求": [5, 35, 60], "回访": [0, 10, 90], "其他": [2, 18, 80],
}
DEPARTMENT_BY_TYPE = {"故障": "技术部", "建议": "产品部", "需求": "产品部", "售后": "物流部"}
EMOTIONS = {"投诉": [30, 55, 10, 5], "故障": [55, 20, 20, 5], "售后": [30, 20, 40, 10]}
CASES = {
    "故障": [
        ("登录故障", "APP无法登录，一直提示网络错误", "客户手机系统版本过低导致",
         "引导客户升级系统并更新APP至最新版本"),
        ("支付异常", "付款成功了但订单一直显示未支付", "支付回调延迟", "技术部手工补单，订单状态已恢复"),
        ("数据同步延迟", "电脑端和手机端的数据对不上", "多端同步服务队列积压", "技术部扩容同步服务并重推数据"),
        ("APP闪退", "打开订单页面就闪退", "新版本兼容性问题", "推送修复补丁，指导客户重新安装"),
        ("设备无法开机", "手表充了一晚上电还是开不了机", "充电底座接触不良",
         "寄送新充电底座，客户确认可正常开机"),
        ("报表数据异常", "月度报表金额和明细对不上", "报表缓存未刷新", "清理缓存并重新生成报表"),
    ],
    "投诉": [
        ("物流延迟", "上周买的洗衣机到现在还没送到", "承运商中转仓爆仓",
         "协调物流加急配送，赠送50元优惠券作为补偿"),
        ("服务态度", "客服说会回电，但一直没人联系我", "回电任务未登记", "主管致电道歉，已纳入话术培训"),
        ("安装问题", "空调装好三天了还是不制冷", "安装时未抽真空导致制冷剂泄漏",
         "安排工程师上门加注制冷剂，现场测试制冷正常"),
        ("退款进度", "申请退款两周了还没到账", "财务审核积压", "财务加急处理，退款已原路退回"),
        ("质量问题", "新买的耳机左耳没有声音", "产品质量问题", "办理换货并补偿延保一年"),
    ],
    "咨询": [
        ("产品功能", "想了解手表能不能测血氧", "", "介绍血氧检测功能及使用方法"),
        ("价格政策", "老客户续费有没有优惠", "", "告知老客户续费九折政策"),
        ("发票问题", "怎么开增值税专用发票", "", "指导客户在订单页面申请专票"),
        ("会员权益", "VIP会员有哪些专属服务", "", "发送会员权益说明"),
        ("使用方法", "CRM系统怎么批量导入客户", "", "发送批量导入操作指引"),
    ],
    "售后": [
        ("退换货", "收到的颜色和下单的不一样，要换货", "仓库拣货错误", "安排换货并承担来回运费"),
        ("维修进度", "送修的平板什么时候能修好", "配件待到货", "配件到货后完成维修并寄回"),
        ("安装调试", "扫地机器人不会建图", "客户未完成首次配网", "远程指导完成配网与建图"),
        ("配件更换", "表带偏短，希望更换", "", "寄送加长表带"),
    ],
    "建议": [("功能建议", "希望报表可以导出成Excel", "", "已记录并同步产品团队评估"),
             ("界面优化", "字体太小，老人看不清", "", "已同步产品团队，下一版本增加大字模式")],
    "需求": [("功能定制", "希望增加自定义审批流程", "", "产品部评估后提供定制方案"),
             ("培训需求", "新员工需要系统操作培训", "", "安排线上培训两场"),
             ("增值服务", "想开通数据备份服务", "", "开通增值备份服务")],
    "回访": [("满意度回访", "购买后首次回访", "", "确认使用正常，介绍保养技巧"),
             ("使用情况回访", "季度使用情况回访", "", "记录客户新需求")],
    "其他": [("其他", "咨询门店营业时间", "", "告知营业时间")],
}
INTAKE_HOURS = 6
COMMENTS = {5: ["处理很及时，客服态度好", "非常满意", "解决得很快"], 4: ["总体满意", "还可以，就是等得有点久"],
            3: ["一般", "问题解决了但过程比较慢"], 2: ["等了太久", "解释不清楚"], 1: ["非常不满意", "问题反复出现"]}


@dataclass
class Demo:
    customers: list[Customer]
    records: list[dict] = field(default_factory=list)
    progress: list[dict] = field(default_factory=list)
    care: list[dict] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


def _lognormal_minutes(rng: random.Random, median: float, spread: float = 0.9) -> timedelta:
    return timedelta(minutes=median * math.exp(rng.gauss(0, spread)))


def _received(rng: random.Random, start: datetime, days: int) -> datetime:
    while True:
        day = start + timedelta(days=rng.randrange(days))
        if day.weekday() < 5 or rng.random() < 0.45:
            break
    hour = rng.choices(range(8, 23), weights=[3, 8, 12, 12, 8, 7, 11, 12, 10, 9, 6, 4, 3, 2, 1])[0]
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def _agent_for(rng: random.Random, type_: str, vip: bool) -> str:
    if type_ == "故障" and rng.random() < 0.6:
        pool = [a for a in AGENTS if a[2] == "技术组"]
    elif type_ == "投诉" and rng.random() < 0.25:
        pool = [a for a in AGENTS if a[2] == "客服主管"]
    elif vip:
        pool = [a for a in AGENTS if a[3] == "是"]
    else:
        pool = [a for a in AGENTS if a[2] == "客服组"]
    agent = rng.choice(pool)
    return f"{agent[0]} {agent[1]}"


def make_record(rng: random.Random, customer: Customer, received: datetime, now: datetime) -> tuple[dict, list[dict]]:
    type_ = rng.choices(*TYPES)[0]
    priority = rng.choices(["紧急", "重要", "一般"], weights=PRIORITY_BY_TYPE[type_])[0]
    tag, quote, cause, solution = rng.choice(CASES[type_])
    complex_ = rng.random() < (0.35 if type_ in ("故障", "投诉") else 0.1)
    verified = f"，经核实为{cause}" if cause else ""
    record = {
        "received_at": received,
        "channel": rng.choices(*CHANNELS)[0],
        "customer_id": customer.customer_id,
        "customer_name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "tier": customer.tier,
        "type": type_,
        "priority": priority,
        "complexity": "复杂" if complex_ else "普通",
        "description": f"客户反映“{quote}”{verified}。",
        "emotion": rng.choices(["焦急", "不满", "平和", "期待"], weights=EMOTIONS.get(type_, [10, 5, 70, 15]))[0],
        "assignee": _agent_for(rng, type_, customer.tier == "VIP"),
        "department": DEPARTMENT_BY_TYPE.get(type_, "无") if rng.random() < 0.8 else "无",
        "tags": tag,
    }
    late = {m: rng.random() < rate for m, rate in (("accept", 0.08), ("first", 0.07), ("resolve", 0.1))}
    accepted = received + _lognormal_minutes(rng, 95 if late["accept"] else 15, 0.6)
    response_limit = {"紧急": 2, "重要": 24, "一般": 48}[priority] * 60
    response_median = response_limit * 1.5 if late["first"] else min(response_limit * 0.15, 240)
    first = accepted + _lognormal_minutes(rng, response_median)
    resolve_limit = (48 if complex_ or priority == "一般" else 24) * 60
    resolved = accepted + _lognormal_minutes(rng, resolve_limit * (2.5 if late["resolve"] else 0.25), 0.6)
    resolved = max(resolved, first + timedelta(minutes=5))
    closed = resolved + _lognormal_minutes(rng, 8 * 60, 0.8)
    recent = now - received < timedelta(days=10)
    stuck = recent and rng.random() < 0.05
    record["status"] = "待受理"
    if accepted <= now:
        record.update(accepted_at=accepted, status="处理中")
    if first <= now:
        record["first_response_at"] = first
        record["due_at"] = accepted + timedelta(minutes=resolve_limit)
    if resolved <= now and not stuck:
        record.update(resolved_at=resolved, solution=solution, status="待确认")
    if closed <= now and not stuck:
        record.update(closed_at=closed, status="已关闭")
        if rng.random() < 0.9:
            score = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 13, 7, 5 + (10 if late["resolve"] else 0)])[0]
            record["csat"] = score
            if rng.random() < 0.5:
                record["csat_comment"] = rng.choice(COMMENTS[score])
    if stuck and record["status"] == "处理中" and rng.random() < 0.3:
        record["status"] = "已升级"
    if record["status"] == "已关闭" and record.get("csat", 5) <= 2 and rng.random() < 0.3:
        record["follow_up"] = "主管再次联系客户，确认不满意原因"
        record["reopened_at"] = record["closed_at"] + timedelta(hours=2)
        reclosed = record["closed_at"] + _lognormal_minutes(rng, 36 * 60, 0.5)
        if reclosed <= now:  # followed up and closed again
            record["closed_at"] = reclosed
            record["follow_up"] += "；已二次回访，客户认可补救措施"
        else:
            record["status"] = "需跟进"
            del record["closed_at"]
    if now - received < timedelta(hours=INTAKE_HOURS) and rng.random() < 0.8:
        # Today's intake, typed in but not yet taken: no 受理人 until someone (or `assign`) picks it up.
        for key in ("accepted_at", "first_response_at", "due_at", "resolved_at", "solution", "closed_at", "csat",
                    "csat_comment", "assignee", "department"):
            record.pop(key, None)
        record["status"] = "待受理"
    if type_ == "投诉" and rng.random() < 0.04:
        record["escalation_flag"] = rng.choice(["品牌风险", "客户要求升级"])
    return record, _progress(rng, record, now)


def _progress(rng: random.Random, record: dict, now: datetime) -> list[dict]:
    accepted = record.get("accepted_at")
    entries = []
    reopened = record.pop("reopened_at", None)
    if reopened and reopened <= now:
        # How an agent records a reopening: the step, and the status it led to.
        entries.append({"ticket_no": None, "at": reopened, "note": "客户对处理结果不满意，重新跟进",
                        "node_status": "进行中", "status_change": "需跟进",
                        "author": record.get("assignee", " ").split()[-1]})
    if accepted is None or rng.random() < 0.55:
        return entries
    at = accepted + timedelta(minutes=rng.randrange(10, 90))
    steps = ["已联系客户核实问题细节", "已同步技术部排查", "技术部已定位原因，正在修复", "已向客户同步处理进度"]
    for step in steps[: rng.randrange(1, 4)]:
        if at > now:
            break
        delayed = rng.random() < 0.12
        entry = {"ticket_no": None, "at": at, "note": step, "node_status": "延迟" if delayed else "已完成",
                 "author": record.get("assignee", " ").split()[-1]}
        if delayed:
            entry["delay_reason"] = rng.choice(["等待配件到货", "等待客户提供日志", "供应商排期"])
            entry["new_due"] = at + timedelta(days=rng.randrange(1, 4))
        entries.append(entry)
        at += timedelta(hours=rng.uniform(1, 10))
    return entries


def make_records(rng: random.Random, customers: list[Customer], count: int, start: datetime,
                 now: datetime) -> Demo:
    demo = Demo(customers)
    days = max(1, (now - start).days + 1)   # today included: this morning's intake
    weights = [3 if c.tier == "VIP" else 1 for c in customers]
    received_times = sorted(_received(rng, start, days) for _ in range(count))
    for received in received_times:
        if received > now:
            received = now - timedelta(minutes=rng.randrange(5, 300))
        customer = rng.choices(customers, weights=weights)[0]
        record, progress = make_record(rng, customer, received, now)
        demo.records.append(record)
        for entry in progress:
            entry["record"] = record
        demo.progress.extend(progress)
    return demo


FEEDBACK_TYPES = ("投诉", "故障", "售后")


def make_care_history(rng: random.Random, records: list[dict], now: datetime) -> list[dict]:
    """The team's own care log before the tool came: a 问题反馈 call the day after most closed
    complaints, faults and after-sales cases, mostly done (a few late, a few still open), so the
    report's 客户关怀覆盖率 and 关怀按时完成率 have something to measure."""
    rows = []
    for record in records:
        closed = record.get("closed_at")
        if not closed or record.get("type") not in FEEDBACK_TYPES or closed > now - timedelta(days=3):
            continue
        if rng.random() > 0.6:
            continue
        day = (closed + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        row = {"customer_id": record.get("customer_id"), "customer_name": record.get("customer_name"),
               "phone": record.get("phone"), "care_date": day, "reason": "问题反馈", "method": "电话",
               "owner": record.get("assignee"), "due": day + timedelta(days=1)}
        fate = rng.random()
        if fate < 0.85:
            late = timedelta(days=rng.choice((0, 0, 0, 1, 2)), hours=rng.randint(0, 6))
            row.update(status="已解决", done=day + late, summary="已电话回访，客户确认问题已解决",
                       feedback=rng.choice(("满意", "满意", "一般", "非常满意")))
        elif fate < 0.95:
            row.update(status="待处理")
        else:
            row.update(status="无需处理", summary="客户表示无需回访")
        rows.append(row)
    return rows
