"""The Tao-password parser reads every shape Taobao has shared (FIELD-NOTES, "Tao password text")."""

from __future__ import annotations

import pytest

from shareflow.taopassword import TaoPassword, parse

OPEN = "\n点击链接直接打开 或者 淘宝搜索直接打开"
COUPON = "点击链接，再选择浏览器咑閞；或復·制这段描述"

# (text, url, token, code, title): real-shaped samples, identifiers made up
SAMPLES = [
    pytest.param(
        f"【淘宝】https://m.tb.cn/h.gXk3ZfQ?tk=Vb8sWq2Lm0a CZ3457 「秋冬加厚卫衣男」{OPEN}",
        "https://m.tb.cn/h.gXk3ZfQ?tk=Vb8sWq2Lm0a",
        "Vb8sWq2Lm0a",
        "CZ3457",
        "秋冬加厚卫衣男",
        id="link7",
    ),
    pytest.param(
        f"16:06【淘宝】https://m.tb.cn/h.58QQm4s?tk=q68LWdnBIKy CZ0001 「【自营】荷兰进口奶粉3段 800g*6罐」{OPEN}",
        "https://m.tb.cn/h.58QQm4s?tk=q68LWdnBIKy",
        "q68LWdnBIKy",
        "CZ0001",
        "【自营】荷兰进口奶粉3段 800g*6罐",
        id="link7-time-prefix-brackets-in-title",
    ),
    pytest.param(
        f"【淘宝】https://e.tb.cn/h.SQ6rjlgiow5ob5s?tk=MJN9f2bd29s CZ225 「压力传感器智能鞋垫触觉柔性感知布料」{OPEN}",
        "https://e.tb.cn/h.SQ6rjlgiow5ob5s?tk=MJN9f2bd29s",
        "MJN9f2bd29s",
        "CZ225",
        "压力传感器智能鞋垫触觉柔性感知布料",
        id="e-host-15-chars-3-digits",
    ),
    pytest.param(
        f"【淘宝】7天无理由退货 https://e.tb.cn/h.7qFeOVKt2s?tk=kPtyU7QJ8po MF937 「电阻式力敏触觉传感器FSR」{OPEN}",
        "https://e.tb.cn/h.7qFeOVKt2s?tk=kPtyU7QJ8po",
        "kPtyU7QJ8po",
        "MF937",
        "电阻式力敏触觉传感器FSR",
        id="slogan-10-chars",
    ),
    pytest.param(
        f"【淘宝】假一赔四 http://e.tb.cn/h.gsklYA3eEQefZ4p?tk=Igjb38swtWy MF6563 「正版软件安装服务」{OPEN}",
        "http://e.tb.cn/h.gsklYA3eEQefZ4p?tk=Igjb38swtWy",
        "Igjb38swtWy",
        "MF6563",
        "正版软件安装服务",
        id="slogan-http",
    ),
    pytest.param(
        f"【淘宝】https://e.tb.cn/h.8IcTrtZuTU19ieN?tk=nyXpT7VA7lt CZ356\n「新中式双人书桌靠墙长条桌」{OPEN}",
        "https://e.tb.cn/h.8IcTrtZuTU19ieN?tk=nyXpT7VA7lt",
        "nyXpT7VA7lt",
        "CZ356",
        "新中式双人书桌靠墙长条桌",
        id="title-on-the-next-line",
    ),
    pytest.param(
        f"【淘宝】极速退款 https://m.tb.cn/h.gYyo4OStf9RoxOh?tk=hGiYWHLdG6c HU9196 「我在手机淘宝发现一个宝贝」{OPEN}",
        "https://m.tb.cn/h.gYyo4OStf9RoxOh?tk=hGiYWHLdG6c",
        "hGiYWHLdG6c",
        "HU9196",
        "我在手机淘宝发现一个宝贝",
        id="generic-title",
    ),
    pytest.param(
        f"【淘宝】http://m.tb.cn/h.5CJXeVUz83zlGUm?tk=SRL0WoMApgi HU926 「达妙科技开发板」{OPEN}",
        "http://m.tb.cn/h.5CJXeVUz83zlGUm?tk=SRL0WoMApgi",
        "SRL0WoMApgi",
        "HU926",
        "达妙科技开发板",
        id="m-host-http-15-chars",
    ),
    pytest.param(
        f"【鸿星尔克板鞋男鞋学生鞋子】http://m.tb.cn/h.3l6tQrk?sm=c3327c {COUPON}￥6QZBbQYxnPh￥后到淘♂寳♀",
        "http://m.tb.cn/h.3l6tQrk?sm=c3327c",
        "6QZBbQYxnPh",
        "",
        "",
        id="coupon-sm-yuan",
    ),
    pytest.param(
        "【优惠券】https://m.tb.cn/h.3Uz2PV9?sm=0a9f1e 点击链接，再选择浏览器打开；或复制这段描述€15eVb3HJvs6€后打开",
        "https://m.tb.cn/h.3Uz2PV9?sm=0a9f1e",
        "15eVb3HJvs6",
        "",
        "",
        id="coupon-euro",
    ),
    pytest.param("【天猫】 https://e.tb.cn/h.AbCdEfG", "https://e.tb.cn/h.AbCdEfG", "AbCdEfG", "", "", id="bare-link"),
    pytest.param("1👈￥3ggP09P71CF￥", "", "3ggP09P71CF", "", "", id="token-pointing-hand"),
    pytest.param("7(qQkYcb86z2d)/ CA8888", "", "qQkYcb86z2d", "CA8888", "", id="token-parentheses-code"),
    pytest.param("5€08skb3DzfQC€ 小米手环6 NFC版", "", "08skb3DzfQC", "", "", id="token-euro-bare-title"),
    pytest.param("₤qQkYcb86z2d₤", "", "qQkYcb86z2d", "", "", id="token-pound"),
    pytest.param("复制这条信息￥3ggP09P71CF￥，打开【手机淘宝】", "", "3ggP09P71CF", "", "", id="token-sentence"),
    pytest.param("8.0 hi 《Ab12Cd34Ef5》 see", "", "Ab12Cd34Ef5", "", "", id="token-brackets"),
    pytest.param("5fu😄質3$FbOzd8kUAFb$:// ZH9102,打開/", "", "FbOzd8kUAFb", "ZH9102", "", id="token-dollar-code"),
    pytest.param(
        "0￥3ggP09P71CF￥ https://m.tb.cn/h.Xy7Zq2W 三只松鼠每日坚果",
        "https://m.tb.cn/h.Xy7Zq2W",
        "3ggP09P71CF",
        "",
        "",
        id="token-then-link-and-bare-title",
    ),
]


@pytest.mark.parametrize(("text", "url", "token", "code", "title"), SAMPLES)
def test_every_shape_is_read(text: str, url: str, token: str, code: str, title: str) -> None:
    assert parse(text) == TaoPassword(token, url, title, code)


@pytest.mark.parametrize(
    ("title", "item_title"),
    [("秋冬加厚卫衣男", "秋冬加厚卫衣男"), ("我在手机淘宝发现一个宝贝", ""), ("", "")],
    ids=["names-the-item", "generic", "none"],
)
def test_a_generic_title_names_no_item(title: str, item_title: str) -> None:
    assert TaoPassword("qQkYcb86z2d", title=title).item_title == item_title


@pytest.mark.parametrize(
    "text",
    [
        "快来看看这个宝贝，超划算！",
        "https://item.taobao.com/item.htm?id=6543210987",  # an item page, not a password
        "https://example.com/h.AbCdEfG?tk=q68LWdnBIKy CZ0001 「不是淘宝」",  # not tb.cn
        "https://m.tb.cn.evil.test/h.AbCdEfGhIjK",  # tb.cn only as a prefix of another host
        "分享码 3ggP09P71CF 复制打开",  # eleven characters, but no delimiters
        "￥3ggP09P71C￥",  # ten characters: not a token
        "【淘宝】https://m.tb.cn/h.short",  # a code of five characters
        "【淘宝】https://m.tb.cn/h.AbCdEfGhIjKlMnOpQ",  # ... or of seventeen
    ],
    ids=["chat", "item-url", "other-host", "host-prefix", "bare-word", "ten-chars", "short-5", "short-17"],
)
def test_text_without_a_password_is_none(text: str) -> None:
    assert parse(text) is None
