"""钉钉自定义机器人: POST {"msgtype": "markdown", ...} to the webhook (its access_token in the
address), signed when 加签 is on: timestamp (ms) and sign = urlencode(base64(HMAC-SHA256(secret,
f"{timestamp}\\n{secret}"))) added to the query. 20 posts a minute; errcode 130101 is "too fast",
310000 a signature (or keyword, or IP) the robot does not accept."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

from servicebook.mail.transports import Setup
from servicebook.mail.transports.robot import RobotMessage, RobotTransport, robot_setup

ITEMS_PER_POST = 40   # a post carries at most 20000 bytes


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


class DingtalkRobot(RobotTransport):
    kind = "dingtalk"
    per_minute = 20
    limit = 19000   # of text, leaving room in the 20000 bytes for the title and the JSON around it
    rate_limited = (130101,)
    bad_signature = (310000,)

    def address(self) -> str:
        if not self.secret:
            return self.webhook
        stamp = int(self.clock() * 1000)
        joiner = "&" if "?" in self.webhook else "?"
        return f"{self.webhook}{joiner}timestamp={stamp}&sign={sign(self.secret, stamp)}"

    def body(self, message: RobotMessage) -> dict:
        text = f"### {message.title}\n{message.text}"
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def from_settings(setup: Setup) -> DingtalkRobot:
    webhook, secret = robot_setup(setup)
    return DingtalkRobot(webhook, secret)
