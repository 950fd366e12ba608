#include "cohort/exec/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace cohort::exec {

namespace {

std::string strip_comment(const std::string& line) { return line.substr(0, line.find('#')); }

Account from_passwd(const passwd& pw) {
  Account account{pw.pw_name, pw.pw_uid, pw.pw_gid, {}, pw.pw_dir ? pw.pw_dir : "/", pw.pw_shell ? pw.pw_shell : ""};
  int count = 64;
  for (int attempt = 0; attempt < 8; ++attempt) {
    account.groups.resize(static_cast<std::size_t>(count));
    int n = count;
    if (getgrouplist(pw.pw_name, pw.pw_gid, account.groups.data(), &n) >= 0) {
      account.groups.resize(static_cast<std::size_t>(n));
      return account;
    }
    count = n > count ? n : count * 2;
  }
  account.groups = {pw.pw_gid};
  return account;
}

Result<Account> lookup(bool by_name, const std::string& name, uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  int rc = by_name ? getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found)
                   : getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found);
  std::string what = by_name ? "account '" + name + "'" : "uid " + std::to_string(uid);
  if (rc != 0) return Error::from_errno(rc, "looking up " + what);
  if (found == nullptr) return Error(Errc::not_found, what + " does not exist on this host");
  return from_passwd(pw);
}

}  // namespace

Result<AccountMap> AccountMap::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(Errc::not_found, "cannot read the account mapping file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Result<AccountMap> AccountMap::parse(const std::string& text, const std::string& source) {
  AccountMap map;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    std::istringstream fields(strip_comment(line));
    Rule rule;
    std::string extra;
    if (!(fields >> rule.identity)) continue;
    if (!(fields >> rule.account) || (fields >> extra)) {
      return Error(Errc::malformed, source + ":" + std::to_string(number) +
                                        ": write 'IDENTITY ACCOUNT' (or '* =' for same-named accounts)");
    }
    map.rules_.push_back(std::move(rule));
  }
  return map;
}

std::optional<std::string> AccountMap::account_for(const std::string& identity) const {
  for (const Rule& rule : rules_) {
    if (rule.identity != "*" && rule.identity != identity) continue;
    return rule.account == "=" ? identity : rule.account;
  }
  return std::nullopt;
}

Result<Account> lookup_account(const std::string& name) { return lookup(true, name, 0); }

Result<Account> current_account() { return lookup(false, {}, geteuid()); }

}  // namespace cohort::exec
