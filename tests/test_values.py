"""Reading what people type: the forms of dates, phones, emails and dropdown words they use."""

import random
from datetime import date, datetime

import pytest

from servicebook.domain.suggest import suggest
from servicebook.domain.values import check_email, is_valid_phone, mask_phone, parse_score, parse_time, phone_text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2024/5/10 14:30", datetime(2024, 5, 10, 14, 30)),
        ("2024-05-10", datetime(2024, 5, 10)),
        ("2024年5月10日 14时30分", datetime(2024, 5, 10, 14, 30)),
        ("2024年5月10日14:30:22", datetime(2024, 5, 10, 14, 30, 22)),
        ("2024.5.10 下午2:30", datetime(2024, 5, 10, 14, 30)),
        ("２０２４／５／１０　１４：３０", datetime(2024, 5, 10, 14, 30)),
        ("20240510", datetime(2024, 5, 10)),
        (" 2024-05-10T14:30:00 ", datetime(2024, 5, 10, 14, 30)),
    ],
)
def test_dates_typed_as_text_are_read_and_marked_as_text(typed, expected):
    parsed = parse_time(typed)
    assert parsed.value == expected
    assert parsed.as_text


def test_real_dates_excel_serials_and_rubbish():
    assert parse_time(datetime(2024, 5, 10, 14, 30)).value == datetime(2024, 5, 10, 14, 30)
    assert not parse_time(datetime(2024, 5, 10, 14, 30)).as_text
    assert parse_time(date(2024, 5, 10)).date_only
    serial = parse_time(45422.6)  # what a date cell formatted as General shows
    assert serial.value == datetime(2024, 5, 10, 14, 24) and serial.as_number
    for rubbish in ("上周三下午", "2024-13-01", "2024-02-30", 12, True):
        assert parse_time(rubbish).error
    assert parse_time(None).value is None and not parse_time(None).error
    assert parse_time("   ").value is None and not parse_time("  ").error


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("13812345678", "138****5678"),
        (13812345678, "138****5678"),
        (13812345678.0, "138****5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("010-62345678", "010-****5678"),
        ("021-12345678转801", "021-****5678转801"),
        ("138****5678", "138****5678"),
    ],
)
def test_phones_are_masked_keeping_their_layout(typed, masked):
    text = phone_text(typed)
    assert is_valid_phone(text)
    assert mask_phone(text) == masked
    assert is_valid_phone(mask_phone(text))


def test_invalid_phones():
    for typed in ("1381234567", "23812345678", "电话", "12345"):
        assert not is_valid_phone(phone_text(typed))


def test_email_syntax_and_fixes():
    assert check_email("zhangwei@example.com").valid
    assert check_email("Zhang.Wei@QQ.com").valid
    assert not check_email("wang@@qq.com").valid
    assert not check_email("li@163").valid
    fullwidth = check_email("wang@ｑｑ.com")
    assert not fullwidth.valid and fullwidth.normalized == "wang@qq.com"


def test_the_quick_path_for_plain_addresses_agrees_with_email_validator():
    """An address settled without email_validator is one it accepts as written; random addresses
    near the edges (dots, dashes, digits, case, length, special-use domains) are compared with it."""
    from email_validator import EmailNotValidError, validate_email

    from servicebook.domain.values import plain_address

    rng = random.Random(20)
    plain = ["a", "Z", "0", "9", "li", "Wang", "zhang.wei"] * 3
    pieces = [*plain, ".", "-", "_", "+", "..", "--", "xn--", "q" * 30, "é", " ", "@"]
    label_pieces = [*plain, "-", "--", "_", "q" * 30]
    tlds = ["com", "cn", "COM", "test", "local", "c0m", "x", "onion", "com.cn", "a" * 25, "1"]
    tried, quick = 0, 0
    for _ in range(6000):
        local = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        labels = ["".join(rng.choice(label_pieces) for _ in range(rng.randint(1, 5)))
                  for _ in range(rng.randint(1, 3))]
        address = f"{local}@{'.'.join(labels)}.{rng.choice(tlds)}"
        tried += 1
        plain = plain_address(address)
        if plain is None:
            continue
        quick += 1
        result = validate_email(address, check_deliverability=False)   # raises if it disagrees
        assert (result.normalized, result.ascii_email) == (plain, plain), address
    assert (tried, quick) == (6000, 681)
    for address in ("li@x.test", "li@xn--fiqs8s.cn", "a" * 65 + "@qq.com", "li@ab--c.com", "li@qq.c0m"):
        assert plain_address(address) is None
        try:
            verdict = validate_email(address, check_deliverability=False).normalized.lower() == address.lower()
        except EmailNotValidError:
            verdict = False
        assert check_email(address).valid == verdict, address


def test_addresses_settled_without_email_validator_get_its_verdict():
    """Not one @, or nothing dotted after it (the commonest slips) is settled without importing
    email_validator; random addresses of ASCII and full-width pieces — quotes, brackets, spaces, a
    small ＠ that NFKC makes an @ — get from `check_email` what email_validator's full check says,
    the address it would take instead included."""
    from servicebook.domain.values import _plainly_invalid, full_email_check

    rng = random.Random(7)
    pieces = ["li", "Wang", "163", "qq", "com", "@", "@", "@@", ".", ".", "-", "_", '"', "[", "]", " ", "＠", "﹫",
              "．", "。", "ｑ", "é", ""]
    tried, settled = 0, 0
    for _ in range(4000):
        address = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        tried += 1
        settled += _plainly_invalid(address.strip())
        assert check_email(address) == full_email_check(address.strip()), address
    assert (tried, settled) == (4000, 1255)


def test_scores_are_whole_numbers_from_one_to_five():
    assert [parse_score(v) for v in (1, 5.0, "4", "５")] == [1, 5, 4, 5]
    assert [parse_score(v) for v in (0, 6, 4.5, "五", None, True)] == [None] * 6


@pytest.mark.parametrize(
    ("typed", "meant", "reason"),
    [
        ("緊急", "紧急", "traditional"),
        (" 投诉", "投诉", "spaces"),
        ("ＶＩＰ", "VIP", "fullwidth"),
        ("vip", "VIP", "case"),
        ("已關閉", "已关闭", "traditional"),
        ("已解决", "已关闭", "synonym"),
        ("在线", "在线客服", "synonym"),
    ],
)
def test_near_misses_are_recognised(typed, meant, reason):
    allowed = ["紧急", "重要", "一般", "投诉", "VIP", "普通", "已关闭", "处理中", "在线客服", "电话"]
    found = suggest(typed, allowed)
    assert found is not None and found.value == meant
    assert reason in found.reasons


def test_no_suggestion_for_unrelated_words():
    assert suggest("抖音私信", ["电话", "邮件", "在线客服"]) is None
