// tether_function_size: no function in production code is longer than a limit.
//
//   tether_function_size [--lines-max N] PATH...
//
// Reads every .cpp and .hpp file under each PATH (a directory, walked
// recursively, or a file) and prints one line per function body longer than
// N lines (default 70), as "file:line: name: L lines (limit N)". Exit 0 when
// there is none, 1 when there is one, 2 on bad arguments or an unreadable
// path. A body's length is counted from the line of its opening brace to the
// line of its closing brace, both included; lambdas and local classes count
// toward the function they are written in.
//
// It reads C++ the way a reader skims it, not the way a compiler parses it:
// comments, string and character literals (raw strings too) and preprocessor
// lines are blanked first, then braces are matched. A brace at namespace or
// class scope opens a function body when the declaration before it has a
// parameter list and no '=' (an initializer), and is not a class, struct,
// union, enum or namespace; in a constructor's initializer list, a brace
// right after a name or '>' is a member's initializer, and the one after ')'
// or '}' is the body. That is enough for this code base, which the tests of
// this tool (tests/house/testdata) pin.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct LongFunction {
  std::string file;
  std::size_t line = 0;  // of the opening brace
  std::string name;
  std::size_t lines = 0;
};

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Skips a raw string literal R"delim( ... )delim" starting at text[i] == '"'.
std::size_t skip_raw_string(const std::string& text, std::size_t i, std::string& out) {
  const std::size_t open = text.find('(', i);
  if (open == std::string::npos) return text.size();
  const std::string close = ")" + text.substr(i + 1, open - i - 1) + "\"";
  const std::size_t end = text.find(close, open);
  const std::size_t stop = end == std::string::npos ? text.size() : end + close.size();
  for (std::size_t k = i; k < stop; ++k) out += text[k] == '\n' ? '\n' : ' ';
  return stop;
}

// Skips a quoted literal starting at text[i] == quote; escapes honoured.
std::size_t skip_quoted(const std::string& text, std::size_t i, std::string& out) {
  const char quote = text[i];
  out += ' ';
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out += "  ";
      ++i;
      continue;
    }
    out += text[i] == '\n' ? '\n' : ' ';
    if (text[i] == quote || text[i] == '\n') return i + 1;
  }
  return i;
}

// The text with comments, literals and preprocessor lines blanked (newlines kept).
std::string blank(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool line_start = true;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    const char n = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      out += '\n';
      line_start = true;
      ++i;
      continue;
    }
    if (line_start && c == '#') {  // a directive, with its continuation lines
      while (i < text.size() && !(text[i] == '\n' && text[i - 1] != '\\'))
        out += text[i++] == '\n' ? '\n' : ' ';
      continue;
    }
    if (c != ' ' && c != '\t') line_start = false;
    if (c == '/' && n == '/') {
      while (i < text.size() && text[i] != '\n') out += ' ', ++i;
    } else if (c == '/' && n == '*') {
      const std::size_t end = text.find("*/", i + 2);
      const std::size_t stop = end == std::string::npos ? text.size() : end + 2;
      for (; i < stop; ++i) out += text[i] == '\n' ? '\n' : ' ';
    } else if (c == '"' && i > 0 && text[i - 1] == 'R' && (i < 2 || !is_ident(text[i - 2]))) {
      i = skip_raw_string(text, i, out);
    } else if (c == '"' || (c == '\'' && !(i > 0 && is_ident(text[i - 1]) && is_ident(n)))) {
      i = skip_quoted(text, i, out);  // '\'' between digits is a digit separator
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

bool has_word(std::string_view s, std::string_view word) {
  for (std::size_t p = s.find(word); p != std::string_view::npos; p = s.find(word, p + 1)) {
    const bool left = p == 0 || !is_ident(s[p - 1]);
    const bool right = p + word.size() >= s.size() || !is_ident(s[p + word.size()]);
    if (left && right) return true;
  }
  return false;
}

// The last character before position `end` that is not white space.
char last_visible(std::string_view s) {
  for (std::size_t i = s.size(); i > 0; --i)
    if (s[i - 1] != ' ' && s[i - 1] != '\t' && s[i - 1] != '\n') return s[i - 1];
  return '\0';
}

// The name before the declaration's first top-level '(' ("Driver::execute").
std::string name_of(std::string_view decl) {
  const std::size_t paren = decl.find('(');
  std::size_t end = paren == std::string_view::npos ? decl.size() : paren;
  while (end > 0 && decl[end - 1] == ' ') --end;
  std::size_t begin = end;
  while (begin > 0 &&
         (is_ident(decl[begin - 1]) || decl[begin - 1] == ':' || decl[begin - 1] == '~' ||
          decl[begin - 1] == '<' || decl[begin - 1] == '>' || decl[begin - 1] == '='))
    --begin;
  std::string name(decl.substr(begin, end - begin));
  return name.empty() ? "(unnamed)" : name;
}

enum class Opens { scope, body, other };

// What a '{' at namespace or class scope opens, from the declaration before it.
Opens classify(std::string_view decl) {
  const char before = last_visible(decl);
  if (before == '=' || before == ',' || before == '(' || before == '[') return Opens::other;
  const std::size_t paren = decl.find('(');
  const std::string_view head = decl.substr(0, paren);
  for (std::string_view w : {"namespace", "class", "struct", "union", "enum", "extern"})
    if (has_word(head, w)) return Opens::scope;
  if (paren == std::string_view::npos) return Opens::other;
  // "= [](...) {": a variable initialised by a lambda is a value, not a function.
  if (head.find('=') != std::string_view::npos && head.find("operator") == std::string_view::npos)
    return Opens::other;
  // In a constructor's initializer list, "x_{1}" initialises a member.
  const std::size_t close = decl.rfind(')');
  const std::string_view tail = decl.substr(close == std::string_view::npos ? 0 : close);
  const bool init_list =
      tail.find(':') != std::string_view::npos && tail.find("::") == std::string_view::npos;
  if (init_list && (is_ident(before) || before == '>')) return Opens::other;
  return Opens::body;
}

void scan(const std::string& file, const std::string& text, std::size_t lines_max,
          std::vector<LongFunction>& out) {
  const std::string code = blank(text);
  const std::string_view view = code;
  std::vector<Opens> stack;  // what each open brace opened
  std::size_t decl_start = 0, line = 1, body_line = 0, body_depth = 0;
  std::string body_name;
  const auto at_scope = [&] {
    return body_depth == 0 && (stack.empty() || stack.back() == Opens::scope);
  };
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '\n') {
      ++line;
    } else if (c == '{') {
      Opens what = Opens::other;
      if (at_scope()) {
        what = classify(view.substr(decl_start, i - decl_start));
        if (what == Opens::body) {
          body_line = line;
          body_depth = stack.size() + 1;
          body_name = name_of(view.substr(decl_start, i - decl_start));
        }
        if (what != Opens::other) decl_start = i + 1;
      }
      stack.push_back(what);
    } else if (c == '}') {
      const Opens what = stack.empty() ? Opens::scope : stack.back();
      if (!stack.empty()) stack.pop_back();
      if (body_depth != 0 && stack.size() + 1 == body_depth) {
        const std::size_t length = line - body_line + 1;
        if (length > lines_max) out.push_back({file, body_line, body_name, length});
        body_depth = 0;
      }
      // A member's brace initializer does not end the declaration it is in.
      if (what != Opens::other && at_scope()) decl_start = i + 1;
    } else if (c == ';' && at_scope()) {
      decl_start = i + 1;
    }
  }
}

bool read(const fs::path& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

bool is_source(const fs::path& p) { return p.extension() == ".cpp" || p.extension() == ".hpp"; }

}  // namespace

int main(int argc, char** argv) {
  std::size_t lines_max = 70;
  std::vector<fs::path> roots;
  for (int a = 1; a < argc; ++a) {
    const std::string_view arg = argv[a];
    if (arg == "--lines-max" && a + 1 < argc) {
      const std::string_view v = argv[++a];
      if (std::from_chars(v.data(), v.data() + v.size(), lines_max).ec != std::errc{} ||
          lines_max == 0) {
        std::fprintf(stderr,
                     "tether_function_size: --lines-max: expected a positive integer, got '%s'\n",
                     argv[a]);
        return 2;
      }
    } else {
      roots.emplace_back(arg);
    }
  }
  if (roots.empty()) {
    std::fprintf(stderr, "usage: tether_function_size [--lines-max N] PATH...\n");
    return 2;
  }
  std::vector<fs::path> files;
  for (const fs::path& root : roots) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      files.push_back(root);
    } else if (fs::is_directory(root, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_regular_file() && is_source(entry.path())) files.push_back(entry.path());
    } else {
      std::fprintf(stderr, "tether_function_size: %s: no such file or directory\n", root.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<LongFunction> found;
  for (const fs::path& file : files) {
    std::string text;
    if (!read(file, text)) {
      std::fprintf(stderr, "tether_function_size: %s: cannot read\n", file.c_str());
      return 2;
    }
    scan(file.string(), text, lines_max, found);
  }
  for (const LongFunction& f : found)
    std::printf("%s:%zu: %s: %zu lines (limit %zu)\n", f.file.c_str(), f.line, f.name.c_str(),
                f.lines, lines_max);
  std::printf("%zu file(s), %zu function(s) over %zu lines\n", files.size(), found.size(),
              lines_max);
  return found.empty() ? 0 : 1;
}
