"""Group-chat robots (企业微信, 钉钉, 飞书): the team's digests posted to a group.

Each service is a small subclass saying how a post is addressed, signed and shaped and what its
answers mean; this base paces posts under the service's rate limit, backs off when the service
says "too fast", keeps a post within its size limit, and tells a post that certainly failed
(retried next run) from one whose fate is unknown (never retried: the ledger says 结果未知).
The webhook address and the signing secret are secrets: keyring or environment, never the
workbook.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from servicebook.mail.transports import Outcome, Setup
from servicebook.mail.transports.network import never_connected
from servicebook.text import t

TIMEOUT = (10, 30)       # seconds to connect, seconds to read the answer
BACKOFF = (20, 60, 120)  # seconds to wait after each "too fast" answer before trying again
TITLE_MARKUP = 8         # bytes the services' markup around the title takes ("### ", "**…**\n")
HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def pause(seconds: float) -> None:
    """Waiting between posts and after "too fast" (one place, so tests can count the waits)."""
    time.sleep(seconds)


@dataclass(frozen=True)
class RobotMessage:
    title: str
    text: str


def fit(text: str, limit: int, marker: str) -> str:
    """`text` within `limit` bytes of UTF-8, cut at a line where possible, `marker` saying so."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(marker.encode("utf-8")) - 1
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return (cut.rsplit("\n", 1)[0] if "\n" in cut else cut) + "\n" + marker


class RobotTransport:
    kind: ClassVar[str]
    per_minute: ClassVar[int]          # posts a robot accepts in a minute
    limit: ClassVar[int]               # bytes of text one post may carry
    rate_limited: ClassVar[tuple[int, ...]]
    bad_signature: ClassVar[tuple[int, ...]]
    exact_recovery = False

    def __init__(self, webhook: str, secret: str | None, session: Any = None,
                 clock: Callable[[], float] = time.time):
        import requests

        self.webhook, self.secret = webhook, secret
        self.session = session or requests.Session()
        self.clock = clock
        self.name = self.kind
        self._ready_at = 0.0    # when the next post may go, under the service's rate limit

    def place(self, template_label: str, ticket: str) -> str:
        return ""

    # What each service defines.
    def address(self) -> str:
        return self.webhook

    def body(self, message: RobotMessage) -> dict:
        raise NotImplementedError

    def answer(self, data: dict) -> tuple[int, str]:
        return int(data.get("errcode", -1)), str(data.get("errmsg", ""))

    # The post itself.
    def deliver(self, message: RobotMessage, recipient: str, identity: str, location: str) -> Outcome:
        room = self.limit - len(message.title.encode("utf-8")) - TITLE_MARKUP
        message = RobotMessage(message.title, fit(message.text, room, t("robot.cut")))
        for wait in (*BACKOFF, None):
            outcome = self._post(message)
            if outcome is not None:
                return outcome
            if wait is None:
                break
            pause(wait)
            self._ready_at = time.monotonic()   # the back-off was longer than any pacing gap
        return Outcome.failed(t("robot.too_fast", robot=t(f"robot.name.{self.kind}")))

    def _pace(self) -> None:
        if (delay := self._ready_at - time.monotonic()) > 0:
            pause(delay)
        self._ready_at = time.monotonic() + 60 / self.per_minute

    def _post(self, message: RobotMessage) -> Outcome | None:
        """The outcome of one post, or None when the service said "too fast"."""
        self._pace()
        robot = t(f"robot.name.{self.kind}")
        try:
            # UTF-8 as it is, not \u-escaped: the services' size limits count the bytes sent.
            data = json.dumps(self.body(message), ensure_ascii=False).encode("utf-8")
            response = self.session.post(self.address(), data=data, headers=HEADERS, timeout=TIMEOUT)
        except Exception as error:   # requests' and urllib3's errors, wrapped several times over
            if never_connected(error):
                return Outcome.unreachable(t("robot.unreachable", robot=robot, error=type(error).__name__))
            return Outcome.unknown(t("robot.no_answer", robot=robot, error=type(error).__name__))
        try:
            code, text = self.answer(response.json())
        except ValueError:
            code, text = None, ""
        if code == 0:
            return Outcome.sent()
        if code in self.rate_limited or response.status_code == 429:
            return None
        if code is None:
            # No answer the service documents (a proxy's error page, a 5xx): it may have posted.
            return Outcome.unknown(t("robot.odd_answer", robot=robot, status=response.status_code))
        if code in self.bad_signature:
            return Outcome.failed(t("robot.bad_signature", robot=robot, code=code, message=text[:200]))
        return Outcome.failed(t("robot.refused", robot=robot, code=code, message=text[:200]))

    def close(self) -> None:
        self.session.close()


def robot_setup(setup: Setup) -> tuple[str, str | None]:
    """The webhook (required) and the signing secret (when the robot has one) of 设置's robot."""
    webhook = setup.require_secret("robot_webhook", setup.kind)
    return webhook, setup.secret("robot_secret", setup.kind)
