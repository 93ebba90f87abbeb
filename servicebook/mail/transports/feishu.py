"""飞书自定义机器人: POST {"msg_type": "text", ...} to the webhook, signed when 签名校验 is on:
timestamp (s) and sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) in the body.
100 posts a minute and 5 a second, 20 KB a request; code 9499 and 11232 are "too fast", 19021 a
signature (or a timestamp) the robot does not accept."""

from __future__ import annotations

import base64
import hashlib
import hmac

from servicebook.mail.transports import Setup
from servicebook.mail.transports.robot import RobotMessage, RobotTransport, robot_setup

ITEMS_PER_POST = 40


def sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuRobot(RobotTransport):
    kind = "feishu"
    per_minute = 100
    limit = 18000   # of text, leaving the rest of the 20 KB for the JSON around it
    rate_limited = (9499, 11232)
    bad_signature = (19021,)

    def body(self, message: RobotMessage) -> dict:
        body: dict = {"msg_type": "text", "content": {"text": f"{message.title}\n{message.text}"}}
        if self.secret:
            stamp = int(self.clock())
            body = {"timestamp": str(stamp), "sign": sign(self.secret, stamp), **body}
        return body

    def answer(self, data: dict) -> tuple[int, str]:
        code = data.get("code", data.get("StatusCode", -1))
        return int(code), str(data.get("msg", data.get("StatusMessage", "")))


def from_settings(setup: Setup) -> FeishuRobot:
    webhook, secret = robot_setup(setup)
    return FeishuRobot(webhook, secret)
