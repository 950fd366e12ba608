// Who a caller may run as. The mapping file turns an authenticated identity
// (the name in a user certificate) into a local account; the account is then
// looked up in the system's user database. One rule per line:
//
//   alice    alice      # identity alice runs as account alice
//   ci-bot   build      # identity ci-bot runs as account build
//   *        =          # any identity runs as the account of the same name
//
// '#' starts a comment; the first matching line wins; no match: refused.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::exec {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, as initgroups would set them
  std::string home;
  std::string shell;
};

class AccountMap {
 public:
  static Result<AccountMap> load_file(const std::string& path);
  static Result<AccountMap> parse(const std::string& text, const std::string& source = "<string>");

  // The account name for `identity`, or nullopt if no rule matches.
  std::optional<std::string> account_for(const std::string& identity) const;

 private:
  struct Rule {
    std::string identity;  // "*" matches any
    std::string account;   // "=" means the identity's own name
  };
  std::vector<Rule> rules_;
};

// The account's uid, gid, groups, home and shell from the user database.
Result<Account> lookup_account(const std::string& name);
// The account this process runs as.
Result<Account> current_account();

}  // namespace cohort::exec
