"""Small device pools the harness tests run on: embedded-farm phones, and one whose server is gone."""

DROID = """\
  - name: droid
    platform: android
    os_version: "12"
    profile: android-fhd
    endpoint: embedded
    wechat: {account: wxid_droid, nickname: 安卓}
"""
APPLE = """\
  - name: apple
    platform: ios
    os_version: "16.7"
    profile: iphone-13
    endpoint: embedded
    wechat: {account: wxid_apple, nickname: 苹果}
"""
GONE = """\
  - name: gone
    platform: android
    os_version: "14"
    endpoint: http://127.0.0.1:9
"""


def pool(*entries: str) -> str:
    """A devices.yaml of ``entries``, in that order."""
    return "devices:\n" + "".join(entries)
