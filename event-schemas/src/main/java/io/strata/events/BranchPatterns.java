package io.strata.events;

import java.util.regex.Pattern;

/**
 * Branch name patterns of a promotion policy: a branch name in which {@code *} matches any characters but
 * {@code /} and {@code **} any characters at all ({@code release/*}, {@code team-**}). Everything else matches
 * itself. The server gates and matches paths by it; the promotion service finds a path's sources by it.
 */
public final class BranchPatterns {
  private BranchPatterns() {}

  public static boolean matches(String pattern, String branch) {
    if (!pattern.contains("*")) {
      return pattern.equals(branch);
    }
    return regex(pattern).matcher(branch).matches();
  }

  static Pattern regex(String pattern) {
    StringBuilder re = new StringBuilder();
    int i = 0;
    while (i < pattern.length()) {
      if (pattern.startsWith("**", i)) {
        re.append(".*");
        i += 2;
      } else if (pattern.charAt(i) == '*') {
        re.append("[^/]*");
        i++;
      } else {
        int next = pattern.indexOf('*', i);
        int end = next < 0 ? pattern.length() : next;
        re.append(Pattern.quote(pattern.substring(i, end)));
        i = end;
      }
    }
    return Pattern.compile(re.toString());
  }
}
