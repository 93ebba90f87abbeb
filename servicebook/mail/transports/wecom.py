"""企业微信群机器人: POST {"msgtype": "markdown", ...} to the webhook (its key is in the address);
no signing. 20 posts a minute; errcode 45009 is "too fast"."""

from __future__ import annotations

from servicebook.mail.transports import Setup
from servicebook.mail.transports.robot import RobotMessage, RobotTransport, robot_setup

ITEMS_PER_POST = 15   # a markdown post carries at most 4096 bytes


class WecomRobot(RobotTransport):
    kind = "wecom"
    per_minute = 20
    limit = 4096
    rate_limited = (45009,)
    bad_signature = (93000,)   # the webhook's key is not valid

    def body(self, message: RobotMessage) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": f"**{message.title}**\n{message.text}"}}


def from_settings(setup: Setup) -> WecomRobot:
    webhook, _ = robot_setup(setup)
    return WecomRobot(webhook, None)
