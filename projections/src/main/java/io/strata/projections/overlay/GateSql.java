package io.strata.projections.overlay;

import io.strata.projections.postgres.Sql;
import java.util.regex.Pattern;

/**
 * The promotion gate in a database that holds branch views (layout 25): a statement-level trigger on every
 * branch view refuses writes to a branch that {@code strata.gated_branches} lists — the branches the server's
 * promotion policy gates, written by the server in the transaction that changes who is gated (the server's own
 * database). One probe per statement; a branch not listed pays nothing else.
 */
final class GateSql {
  private static final Pattern BID = Pattern.compile("[0-9a-f]{1,64}");

  private GateSql() {}

  static final String INSTALL = """
      create table if not exists strata.gated_branches (
        bid text primary key, repository text not null, branch text not null);
      create or replace function strata.gate_check() returns trigger language plpgsql as $strata_gate$
      declare g record;
      begin
        select repository, branch into g from strata.gated_branches where bid = TG_ARGV[0];
        if found then
          raise exception 'branch "%" of repository "%" is protected by its promotion policy: it changes only through'
            ' promotions (its view takes no writes)', g.branch, g.repository using errcode = '42501';
        end if;
        return null;
      end $strata_gate$""";

  /** Every branch view's bid and place (for the layout upgrade). */
  static final String VIEWS = "select bid, view_schema, view_name from strata.branch_overlays";

  /** The gate's trigger on view {@code schema.name} of branch {@code bid}, made again. */
  static String trigger(String schema, String name, String bid) {
    if (!BID.matcher(bid).matches()) {
      throw new IllegalArgumentException("not a branch id: " + bid);
    }
    String view = Sql.qualified(schema, name);
    return "drop trigger if exists strata_gate on " + view + ";\n"
        + "create trigger strata_gate before insert or update or delete on " + view
        + " for each statement execute function strata.gate_check('" + bid + "');\n";
  }

  static final String LIST = "select bid, branch from strata.gated_branches where repository = $1";
  static final String CLEAR = "delete from strata.gated_branches where repository = $1";
  static final String ADD = "insert into strata.gated_branches (bid, repository, branch) values ($1, $2, $3)"
      + " on conflict (bid) do update set repository = excluded.repository, branch = excluded.branch";
}
