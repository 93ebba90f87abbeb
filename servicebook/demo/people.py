"""Plausible Chinese customers and agents for the demo workbook."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

SURNAMES = {
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang",
    "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu",
    "胡": "hu", "郭": "guo", "何": "he", "高": "gao", "林": "lin", "罗": "luo", "郑": "zheng",
    "梁": "liang", "谢": "xie", "宋": "song", "唐": "tang", "许": "xu", "韩": "han", "冯": "feng",
    "邓": "deng", "曹": "cao", "彭": "peng", "曾": "zeng", "肖": "xiao", "田": "tian", "董": "dong",
    "袁": "yuan", "潘": "pan", "蒋": "jiang", "蔡": "cai", "余": "yu", "杜": "du", "叶": "ye",
    "程": "cheng", "苏": "su", "魏": "wei", "吕": "lv", "丁": "ding", "沈": "shen", "姚": "yao",
    "欧阳": "ouyang", "司马": "sima", "上官": "shangguan",
}
MALE_NAMES = ["伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "浩", "宇", "鑫", "建华",
              "志强", "俊", "凯", "博", "晨", "海波", "国庆", "文斌", "子轩", "家豪"]
FEMALE_NAMES = ["芳", "娜", "秀英", "敏", "静", "丽", "艳", "娟", "霞", "婷", "欣", "怡", "子涵", "雨",
                "海燕", "丹", "慧", "琳", "悦", "晓雯", "佳怡", "梦瑶", "雪梅", "桂英", "思琪"]
CITIES = ["杭州", "上海", "深圳", "北京", "成都", "武汉", "南京", "苏州", "广州", "西安", "厦门", "青岛"]
BRANDS = ["云帆", "智联", "恒通", "华信", "博远", "天成", "鼎盛", "嘉禾", "启明", "众创", "星河", "远航",
          "瑞丰", "金桥", "新程"]
TRADES = [("科技", "yun"), ("贸易", "trade"), ("物流", "wl"), ("电子", "dz"), ("网络", "net"),
          ("餐饮管理", "food"), ("教育科技", "edu"), ("医疗器械", "med")]
PRODUCTS = ["电子产品/智能手表", "电子产品/蓝牙耳机", "家电/空调", "家电/洗衣机", "企业服务/CRM系统",
            "企业服务/ERP软件", "电商/会员服务", "家电/扫地机器人", "电子产品/平板电脑"]
# Demo addresses live under example.com (reserved by RFC 2606): pointing the demo at a real mail
# server must never write to a real person.
MAIL_HOSTS = ["qq.example.com", "163.example.com", "126.example.com", "sina.example.com", "foxmail.example.com"]
MOBILE_PREFIXES = ["138", "139", "136", "137", "135", "150", "151", "158", "159", "186", "187", "188",
                   "177", "180", "189", "133", "153", "199"]

TEAM_DOMAIN = "service.example.com"
SUPERVISOR = "C012"
OFF_DUTY = {"C007"}
AGENTS = [
    ("C001", "张敏", "客服组", "是"), ("C002", "李娜", "客服组", "否"), ("C003", "王磊", "客服组", "否"),
    ("C004", "陈静", "客服组", "是"), ("C005", "刘洋", "客服组", "否"), ("C006", "赵丽", "客服组", "否"),
    ("C007", "孙浩", "客服组", "否"), ("C008", "周婷", "客服组", "是"), ("C009", "吴强", "技术组", "是"),
    ("C010", "郑凯", "技术组", "否"), ("C011", "冯博", "技术组", "否"), ("C012", "何慧", "客服主管", "是"),
]


@dataclass
class Customer:
    customer_id: str
    name: str
    contact: str
    salutation: str
    tier: str
    phone: str
    email: str
    contact_pref: str
    industry: str
    first_purchase: date
    birthday: date | None
    anniversary: date | None
    notes: str


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def person(rng: random.Random) -> tuple[str, str, str]:
    """(full name, salutation word, surname pinyin)."""
    surname = rng.choices(list(SURNAMES), weights=[1 if len(s) > 1 else 12 for s in SURNAMES])[0]
    male = rng.random() < 0.5
    given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
    return surname + given, "先生" if male else "女士", SURNAMES[surname]


def make_customers(rng: random.Random, count: int, today: date) -> list[Customer]:
    customers = []
    for index in range(1, count + 1):
        contact, salutation, pinyin = person(rng)
        company = rng.random() < 0.3
        if company:
            trade, slug = rng.choice(TRADES)
            name = f"{rng.choice(CITIES)}{rng.choice(BRANDS)}{trade}有限公司"
            email = f"{pinyin}{rng.randrange(1, 99)}@{slug}{rng.randrange(10, 99)}.example.com"
        else:
            name = contact
            email = (f"{rng.randrange(10**7, 10**10)}@qq.example.com" if rng.random() < 0.4
                     else f"{pinyin}{rng.randrange(1, 9999)}@{rng.choice(MAIL_HOSTS)}")
        first_purchase = today - timedelta(days=rng.randrange(5, 900))
        birthday = date(rng.randrange(1965, 2003), rng.randrange(1, 13), rng.randrange(1, 29)) if not company else None
        customers.append(Customer(
            customer_id=f"U{first_purchase:%Y%m}{index:04d}",
            name=name,
            contact=contact,
            salutation=salutation,
            tier="VIP" if rng.random() < 0.15 else "普通",
            phone=mobile(rng),
            email=email,
            contact_pref=rng.choices(["电话", "邮件", "在线"], weights=[5, 3, 2])[0],
            industry=rng.choice(PRODUCTS),
            first_purchase=first_purchase,
            birthday=birthday,
            anniversary=first_purchase if company else None,
            notes=rng.choice(["", "", "偏好工作日下午联系", "上午不方便接电话", "老客户，曾反馈物流问题",
                              "企业客户，对接人请勿在午休时间致电"]),
        ))
    return customers
