"""The email as bytes: every message we write reads back, with the standard library's own parser,
as exactly what was rendered — subject, names, addresses, date, both parts — without a defect,
in 7-bit lines of at most 78 columns."""

import email
import email.header
import email.policy
import email.utils
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from servicebook.mail.message import BadAddress, build_message
from servicebook.mail.render import Rendered, one_line

ALPHABET = ("客户服务中心记录已处理完毕请为本次评分【】（），。：“”、—…"
            "abcXYZ019 \"'(),.:;<>@[]\\=?_-!#$%&*+/^`{|}~"
            "é߀𠀀😀\u3000\u00a0")


def _text(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, most)))


def _read(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def _mailbox(message: email.message.EmailMessage, name: str) -> tuple[str, str]:
    """(display name, address) as RFC 2047 reads them: whitespace between two encoded words is
    not text. The standard library's address parser keeps it as a space (its own encoder's long
    names read back with spaces inside too), so the name is decoded by decode_header."""
    raw = next(value for key, value in message.raw_items() if key == name)
    phrase, address = email.utils.parseaddr(re.sub(r"\r?\n[ \t]", " ", raw))
    parts = email.header.decode_header(phrase)
    return "".join(p.decode(c or "ascii") if isinstance(p, bytes) else p for p, c in parts), address


def _lines(text: str) -> str:
    return "\n".join(text.splitlines()) + "\n"


@pytest.mark.parametrize("seed", range(6))
def test_every_message_reads_back_as_what_was_rendered(seed):
    rng = random.Random(seed)
    zone = timezone(timedelta(hours=8))
    for n in range(300):
        subject, sender_name, name = _text(rng, 120), _text(rng, 30), _text(rng, 70)
        rendered = Rendered(subject, _text(rng, 400) + "\n第二行\r\n\n末行", f"<p>{_text(rng, 300)}</p>")
        when = datetime(2026, 11, 23, 10, 0, rng.randint(0, 59), tzinfo=zone)
        built = build_message(rendered, "service@service.example.com", sender_name, f"c{n}@例子.中国",
                              name, f"<{n:032x}@service.example.com>", when)
        built.add_header("X-Unsent", "1")
        data = built.as_bytes()
        assert data.isascii()
        assert b"\n" not in data.replace(b"\r\n", b"")       # every line ends CRLF, none bare
        assert max(len(line) for line in data.split(b"\r\n")) <= 78
        message = _read(data)
        assert [part.defects for part in message.walk()] == [[], [], []]
        assert message["Subject"] == one_line(subject)
        assert _mailbox(message, "From") == (one_line(sender_name), "service@service.example.com")
        assert _mailbox(message, "To") == (one_line(name), f"c{n}@xn--fsqu00a.xn--fiqs8s")
        assert message["To"].addresses[0].addr_spec == f"c{n}@xn--fsqu00a.xn--fiqs8s"
        assert message["Date"].datetime == when
        assert message["Message-ID"] == f"<{n:032x}@service.example.com>"
        assert message["X-Unsent"] == "1"
        assert message.get_content_type() == "multipart/alternative"
        plain, html = message.iter_parts()
        assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert _lines(plain.get_content()) == _lines(rendered.text)
        assert _lines(html.get_content()) == _lines(rendered.html)


def test_a_plain_subject_and_name_stay_readable_and_the_same_message_is_the_same_bytes():
    rendered = Rendered("Ticket CSF20261120000009 closed", "Hello", "<p>Hello</p>")
    when = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    args = (rendered, "service@service.example.com", "Service Desk", "Lin.Wei@Example.com", "Lin Wei",
            "<63e1b316fcac4be539091c3032a92727@service.example.com>", when)
    data = build_message(*args).as_bytes()
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n", "\n")
    assert re.findall(r"^(Subject|From|To|Date): (.*)$", head, re.M) == [
        ("Subject", "Ticket CSF20261120000009 closed"),
        ("From", "Service Desk <service@service.example.com>"),
        ("To", "Lin Wei <Lin.Wei@example.com>"),
        ("Date", "Mon, 23 Nov 2026 10:00:00 +0800")]
    assert build_message(*args).as_bytes() == data        # a retry writes the very same message


def test_an_address_no_header_can_carry_is_refused_not_mangled():
    rendered = Rendered("主题", "正文", "<p>正文</p>")
    when = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with pytest.raises(BadAddress):   # a Chinese local part needs SMTPUTF8, which no transport offers
        build_message(rendered, "service@service.example.com", "客服", "用户@例子.中国", "林", "<1@x>", when)
    with pytest.raises(BadAddress):
        build_message(rendered, "service@service.example.com", "客服", "not an address", "林", "<1@x>", when)


def test_validation_and_the_mail_plan_know_such_an_address_before_any_message_is_made():
    from servicebook.domain.mail_rules import valid_email
    from servicebook.domain.values import check_email

    assert check_email("用户@例子.中国").valid and check_email("用户@例子.中国").unsendable
    assert not check_email("lin@例子.中国").unsendable            # only the domain: sent in its ASCII form
    assert (valid_email("用户@例子.中国"), valid_email("lin@例子.中国")) == (None, "lin@例子.中国")
