/**
 * The options of every command that attributes services to networks and abuse contacts (scan, and
 * serve for the scans it starts), as commander declares them; what they mean is
 * attribution/options.ts.
 */
import type { Command } from 'commander';
import { RDAP_DEFAULTS } from '../attribution/attribute.js';

export function addAttributionOptions(cmd: Command): Command {
  return cmd
    .option(
      '--asn-data <file>',
      'CSV first,last,asn,organisation (addresses or ranges) used before the built-in ASN data',
    )
    .option(
      '--contacts <file>',
      'lines "SCOPE EMAIL[,EMAIL…] [NAME…]" (CIDR, range, address or AS64500): abuse contacts that win',
    )
    .option('--rdap', 'look abuse contacts up by RDAP at the registries (off by default: traffic to registries)')
    .option('--rdap-url <url>', 'send every RDAP query to this base URL instead of the IANA bootstrap (implies --rdap)')
    .option('--rdap-ttl <duration>', 'how long RDAP answers are kept in the database (7d, 12h, 3600s)', '7d')
    .option('--rdap-rate <n>', 'RDAP queries per second at most', String(RDAP_DEFAULTS.rate));
}
