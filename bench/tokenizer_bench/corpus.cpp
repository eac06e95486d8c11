#include "tokenizer_bench/corpus.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace voxline::bench {
namespace {

// xorshift64*: fixed algorithm so the corpora never depend on the standard library's engines.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
  template <typename T>
  const T &pick(const std::vector<T> &v) {
    return v[below(v.size())];
  }
};

const std::vector<std::string> kWords = {"the",
                                         "of",
                                         "and",
                                         "to",
                                         "in",
                                         "is",
                                         "you",
                                         "that",
                                         "it",
                                         "he",
                                         "was",
                                         "for",
                                         "on",
                                         "are",
                                         "as",
                                         "with",
                                         "his",
                                         "they",
                                         "at",
                                         "be",
                                         "this",
                                         "have",
                                         "from",
                                         "or",
                                         "one",
                                         "had",
                                         "by",
                                         "word",
                                         "but",
                                         "not",
                                         "what",
                                         "all",
                                         "were",
                                         "we",
                                         "when",
                                         "your",
                                         "can",
                                         "said",
                                         "there",
                                         "use",
                                         "an",
                                         "each",
                                         "which",
                                         "she",
                                         "do",
                                         "how",
                                         "their",
                                         "if",
                                         "will",
                                         "up",
                                         "other",
                                         "about",
                                         "out",
                                         "many",
                                         "then",
                                         "them",
                                         "these",
                                         "so",
                                         "some",
                                         "her",
                                         "would",
                                         "make",
                                         "like",
                                         "him",
                                         "into",
                                         "time",
                                         "has",
                                         "look",
                                         "two",
                                         "more",
                                         "write",
                                         "go",
                                         "see",
                                         "number",
                                         "no",
                                         "way",
                                         "could",
                                         "people",
                                         "my",
                                         "than",
                                         "first",
                                         "water",
                                         "been",
                                         "call",
                                         "who",
                                         "oil",
                                         "its",
                                         "now",
                                         "find",
                                         "long",
                                         "down",
                                         "day",
                                         "did",
                                         "get",
                                         "come",
                                         "made",
                                         "may",
                                         "part",
                                         "appointment",
                                         "vehicle",
                                         "service",
                                         "customer",
                                         "brake",
                                         "inspection",
                                         "tomorrow",
                                         "morning",
                                         "available",
                                         "schedule",
                                         "transmission",
                                         "estimate",
                                         "warranty",
                                         "mileage",
                                         "replacement",
                                         "diagnostic",
                                         "alignment",
                                         "battery",
                                         "conversation",
                                         "assistant",
                                         "tokenizer",
                                         "throughput",
                                         "benchmark",
                                         "deterministic",
                                         "approximately",
                                         "don't",
                                         "we'll",
                                         "it's",
                                         "they're",
                                         "I've",
                                         "you'd",
                                         "Monday",
                                         "Tuesday",
                                         "Friday",
                                         "OpenAI",
                                         "Toyota",
                                         "Honda",
                                         "Ford",
                                         "VIN",
                                         "ASAP",
                                         "OK",
                                         "e-mail",
                                         "follow-up",
                                         "state-of-the-art",
                                         "re-check"};
const std::vector<std::string> kPunct = {".", ",", "!", "?", ";", ":", " -", "...", "\"", "'"};

const std::vector<std::string> kCode = {
    "#include <vector>\n#include <string>\n\nnamespace voxline {\n",
    "int main(int argc, char **argv) {\n  std::vector<std::string> args(argv, argv + argc);\n  return "
    "0;\n}\n",
    "def fetch_appointments(customer_id: int, limit: int = 10) -> list[dict]:\n"
    "    rows = db.execute(\"SELECT * FROM appointments WHERE customer_id = ?\", (customer_id,))\n"
    "    return [dict(r) for r in rows][:limit]\n",
    "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_9f8e\", \"type\": "
    "\"function\", "
    "\"function\": {\"name\": \"book_slot\", \"arguments\": \"{\\\"slot\\\": "
    "\\\"2025-03-14T09:30:00Z\\\"}\"}}]}\n",
    "for f in $(ls *.log); do\n  grep -c ERROR \"$f\" | awk '{ s += $1 } END { print s }'\ndone\n",
    "SELECT c.name, COUNT(a.id) AS visits\nFROM customers c LEFT JOIN appointments a ON a.customer_id = "
    "c.id\n"
    "GROUP BY c.name HAVING COUNT(a.id) > 3 ORDER BY visits DESC;\n",
    "    if (status != StatusCode::kOk && retries++ < kMaxRetries) {\n"
    "      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));\n      continue;\n    }\n",
    "const result = await fetch(`${baseUrl}/v1/chat/completions`, { method: 'POST', headers, body });\n",
    "class RateLimiter:\n    def __init__(self, rate: float, burst: int):\n        self._tokens = burst\n",
    "  <div class=\"card\"><span id=\"price\">$1,299.00</span><a "
    "href=\"https://example.com/a?b=c&d=e\">x</a></div>\n",
};

const std::vector<std::string> kForeign = {
    "今日はとても良い天気ですね。明日の午前中に車の点検を予約したいのですが、空いていますか？",
    "我们的服务中心周一至周五上午八点到下午六点营业。请提供您的车辆识别号码。",
    "오늘 오후에 브레이크 점검을 받을 수 있을까요? 예약 번호는 내일 문자로 보내드리겠습니다.",
    "مرحبا، أود حجز موعد لصيانة السيارة يوم الثلاثاء القادم في الصباح إن أمكن.",
    "שלום, אני רוצה לקבוע תור לטיפול ברכב ביום רביעי בבוקר.",
    "Здравствуйте! Я хотел бы записаться на замену масла в четверг после обеда.",
    "नमस्ते, मैं अगले सोमवार को अपनी गाड़ी की सर्विस के लिए समय लेना चाहता हूँ।",
    "สวัสดีครับ ผมต้องการนัดหมายเปลี่ยนยางรถยนต์ในวันเสาร์นี้ครับ",
    "Καλημέρα, θα ήθελα να κλείσω ραντεβού για σέρβις την Παρασκευή το πρωί.",
    "Bonjour, je voudrais prendre rendez-vous pour la révision de ma voiture mercredi après-midi.",
    "Guten Tag, ich möchte einen Termin für die Inspektion meines Wagens am Donnerstag vereinbaren.",
    "Hola, ¿podría reservar una cita para el cambio de aceite el próximo lunes a las diez?",
    "Xin chào, tôi muốn đặt lịch bảo dưỡng xe vào sáng thứ Hai tuần sau.",
    "Merhaba, gelecek salı sabahı arabamın bakımı için randevu almak istiyorum.",
    "Cześć, chciałbym umówić wizytę na przegląd samochodu w piątek rano.",
    "வணக்கம், அடுத்த செவ்வாய்க்கிழமை காலை என் வாகன சேவைக்கு நேரம் பதிவு செய்ய விரும்புகிறேன்.",
    "Great, see you then! 👍🚗🔧 ✅ 🇯🇵 👨‍👩‍👧 ❤️",
};

std::string sentence(Rng &rng) {
  std::string s;
  const size_t n = 6 + rng.below(18);
  for (size_t i = 0; i < n; ++i) {
    std::string w = rng.pick(kWords);
    if (i == 0 && w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 'a' + 'A');
    if (i) s += (rng.below(20) == 0) ? rng.pick(kPunct) + " " : " ";
    s += w;
    if (rng.below(25) == 0) s += " " + std::to_string(rng.below(100000));
  }
  s += rng.below(5) == 0 ? "?" : ".";
  return s;
}

}  // namespace

std::string english_code_corpus(size_t bytes) {
  Rng rng{0x5EED0001ull};
  std::string out;
  out.reserve(bytes + 4096);
  while (out.size() < bytes) {
    if (rng.below(4) == 0) {
      out += rng.pick(kCode);
    } else {
      const size_t n = 1 + rng.below(6);
      for (size_t i = 0; i < n; ++i) out += (i ? " " : "") + sentence(rng);
      out += rng.below(3) == 0 ? "\n\n" : "\n";
    }
  }
  return out;
}

std::string multilingual_corpus(size_t bytes) {
  // Words of each sample sentence are recombined into new sentences of the same language, so the
  // corpus has natural words but few exactly repeated pieces (scripts without spaces are cut into
  // runs of 1-3 characters and glued back in random order, giving new long pieces).
  Rng rng{0x5EED0002ull};
  struct Lang {
    std::vector<std::string> words;
    bool spaced;
  };
  std::vector<Lang> langs;
  for (const std::string &s : kForeign) {
    Lang l;
    l.spaced = s.find(' ') != std::string::npos;
    if (l.spaced) {
      size_t pos = 0;
      while (pos < s.size()) {
        const size_t sp = s.find(' ', pos);
        const size_t end = sp == std::string::npos ? s.size() : sp;
        if (end > pos) l.words.push_back(s.substr(pos, end - pos));
        pos = end + 1;
      }
    } else {
      size_t pos = 0;
      while (pos < s.size()) {
        size_t end = pos;
        const size_t chars = 1 + rng.below(3);
        for (size_t c = 0; c < chars && end < s.size(); ++c) {
          ++end;
          while (end < s.size() && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) ++end;
        }
        l.words.push_back(s.substr(pos, end - pos));
        pos = end;
      }
    }
    langs.push_back(std::move(l));
  }
  std::string out;
  out.reserve(bytes + 4096);
  while (out.size() < bytes) {
    const Lang &l = langs[rng.below(langs.size())];
    const size_t n = 4 + rng.below(12);
    for (size_t i = 0; i < n; ++i) {
      if (i && l.spaced) out += ' ';
      out += rng.pick(l.words);
      if (rng.below(30) == 0) out += (l.spaced ? " " : "") + std::to_string(rng.below(10000));
    }
    out += rng.below(5) == 0 ? "\n" : " ";
    if (rng.below(10) == 0) out += sentence(rng) + "\n";
  }
  return out;
}

}  // namespace voxline::bench
