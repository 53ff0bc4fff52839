"""Shared material for the tokenizer tests: a small training corpus, vocabularies learned from it with the
`tokenizers` library directly (not through lucid), and texts that stress the BERT pipeline."""

from tokenizers import Tokenizer, normalizers, pre_tokenizers, trainers
from tokenizers.models import WordPiece

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

TRAIN_CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away!",
    "Machine learning helps us build useful systems, and tokenization quality matters.",
    "Tokenizers split words into word pieces: unbelievable -> un ##believ ##able.",
    "Café, déjà vu, naïve résumé, crème brûlée, Ångström, São Paulo, Zürich, façade.",
    "北京是中国的首都。我爱自然语言处理。日本語のテキストも少しあります。",
    "Emoji are fun 😀 👍 🎉 and numbers like 3.14, 42, 1,000,000 or $5 appear too.",
    "Don't stop; it's what we're doing. Isn't it? Yes -- it is (mostly) [true].",
    "Running runner runs ran; playing played player plays; lower lowest low slowly.",
    "Hello World HELLO world hello WORLD, MiXeD CaSe Words And Names Like Alice And Bob.",
] * 3

# Texts covering accents, CJK, punctuation, control and zero-width characters, emoji, very long words,
# empty and whitespace-only strings, special tokens written in the text, and odd Unicode.
HARD_TEXTS = [
    "Hello, World!",
    "The quick brown fox jumps over the lazy dog.",
    "Café déjà vu — naïve résumé; CRÈME BRÛLÉE",
    "ÀÉÎÕÜ ñ ç Ø å ß İstanbul ǅ",
    "combining e\u0301 and a\u0308 marks, lone \u0301 mark",
    "北京是中国的首都。",
    "mixed中文english and 日本語 한국어 text",
    "emoji 😀👍🏽 🇫🇷 👨‍👩‍👧 🎉!",
    "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u2060wj",
    "control\x00\x01\x07chars\x1f\x7f here\x85",
    "tab\tnew\nline\r\ncarriage\rreturn\u00a0nbsp\u3000ideographic\u2028sep",
    "",
    "   ",
    "\t\n\r ",
    "a" * 101,
    "b" * 100,
    "unbelievable" * 12 + " short",
    "[MASK] is [mask] [CLS]x[SEP] [PAD][UNK] [ MASK ]",
    "Don't won't it's we're isn't -- (mostly) [true] {yes} <no> 'quoted' \"double\"",
    "3.14 $100 50% #hash @user a/b c\\d e_f ~tilde^ `back` |pipe|",
    "ﬁ ligature Ａ full-width ｈｅｌｌｏ ① ™ ℌ",
    "Running runners RAN; Playing PLAYED player.",
    "\u0000",
    "...!!!???",
    "x",
]

PAIRS = [
    ("The quick brown fox jumps over the lazy dog.", "Machine learning helps us build useful systems."),
    ("Hello", "World! " * 10),
    ("Café déjà vu " * 8, "北京是中国的首都。"),
    ("", "only the second text"),
    ("only the first text", ""),
    ("", ""),
    ("😀 " * 5, "[MASK] [MASK] fox"),
]


def train_vocab(lowercase=True, strip_accents=None, handle_chinese_chars=True, vocab_size=400, corpus=None):
    """A WordPiece vocabulary (token -> id) learned with `tokenizers` itself, special tokens first."""
    tk = Tokenizer(WordPiece(unk_token="[UNK]"))
    tk.normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=strip_accents,
                                               handle_chinese_chars=handle_chinese_chars)
    tk.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
    tk.train_from_iterator(corpus or TRAIN_CORPUS, trainer=trainer)
    return tk.get_vocab()
