"""Which look-alike characters the OCR recogniser reads as one another: the data behind
``shareflow.vision.ocr.CONFUSABLE``.

Each pair of a list of visually close characters (形近字: one stroke more, less or moved) is drawn
in a short line (Latin ones inside a link), in every CJK font the farm and the corpus use, at two
sizes, and read by the recogniser the matcher uses. A pair is confusable when either character,
drawn, is read as the other in any font, case aside (the matcher folds case). The matcher never
takes a text template's state on its words alone where its words hold a confusable character (it
needs the pixels there, or its drawing in the screen's font).

    .venv/bin/python benchmarks/confusables.py      # prints the confusable pairs, one per line
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shareflow.vision import ocr

FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
SIZES = (32, 48)  # px
CONTEXT = "打开{}访问"  # the character between others, as in a label
LATIN_CONTEXT = "https://e.tb.cn/h.a{}b"  # a Latin character inside a link, as in a Tao password
PAIRS = [
    "已己",
    "已巳",
    "己巳",
    "天夭",
    "天大",
    "大太",
    "太犬",
    "未末",
    "土士",
    "日曰",
    "人入",
    "入八",
    "千干",
    "干于",
    "王玉",
    "玉主",
    "木本",
    "本术",
    "木禾",
    "刀力",
    "午牛",
    "目自",
    "白自",
    "白百",
    "贝见",
    "买卖",
    "微徽",
    "汨汩",
    "戊戌",
    "戌戍",
    "候侯",
    "拨拔",
    "析折",
    "间问",
    "访仿",
    "淘陶",
    "即既",
    "订汀",
    "交文",
    "查杳",
    "看着",
    "详洋",
    "宝室",
    "开升",
    "打扣",
    "京亰",
    "猫喵",
    "信言",
    "复夏",
    "制刮",
    "口日",
    "今令",
    "免兔",
    "鸟乌",
    "由甲",
    "申电",
    "准淮",
    "扒叭",
    "住往",
    "冶治",
    "壁璧",
    "辨辩",
    "晴睛",
    "峰锋",
    "园圆",
    "延廷",
    "历厉",
    "折拆",
    "斤斥",
    "兵乒",
    "乓兵",
    "办为",
    "话活",
    "迎仰",
    "停亭",
    "止上",
    "该孩",
    "网冈",
    # Latin, as in a link's letters and a Tao password's token
    "1l",
    "1I",
    "lI",
    "0O",
    "0o",
    "Oo",
    "gq",
    "5S",
    "2Z",
    "8B",
    "uv",
]


def read(text: str, font: tuple[str, int], size: int) -> str:
    face = ImageFont.truetype(font[0], size, index=font[1])
    width = round(face.getlength(text)) + size
    image = Image.new("RGB", (width, round(size * 1.6)), "white")
    ImageDraw.Draw(image).text((size // 2, round(size * 0.8)), text, fill="black", font=face, anchor="lm")
    return ocr.read_text(cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR))


def confused(a: str, b: str) -> bool:
    """Whether ``b`` drawn reads as ``a``, or ``a`` as ``b``, in any font and size."""
    context = LATIN_CONTEXT if (a + b).isascii() else CONTEXT
    for drawn, other in ((a, b), (b, a)):
        for font in FONTS:
            for size in SIZES:
                if context.format(other).casefold() in read(context.format(drawn), font, size).casefold():
                    return True
    return False


def main() -> None:
    for pair in PAIRS:
        if confused(pair[0], pair[1]):
            print(pair)


if __name__ == "__main__":
    main()
