/** The examples shown after each command's help (and the program's): what people type most. */
const EXAMPLES: Record<string, string[]> = {
  opendoor: [
    'opendoor scan 192.0.2.0/24                       # default imaging ports, human summary',
    'opendoor scans                                   # what the database holds',
    'opendoor report --format html -o report.html     # the latest scan for people',
  ],
  scan: [
    'opendoor scan 192.0.2.0/24',
    'opendoor scan -iL hosts.txt --json -o out.jsonl',
    'zmap -p 104 -O csv -f saddr,sport -o - | opendoor scan -iL - --json',
    'opendoor scan pacs.example.org -p 104,11112 --depth access --ae-titles site-aes.txt',
    'opendoor scan --resume SCAN_ID',
    'opendoor scan 10.0.0.0/16 --asn-data our-ranges.csv --contacts contacts.txt --rdap',
  ],
  worker: [
    'opendoor scan 10.0.0.0/16 --db postgres://opendoor@db/opendoor --enqueue   # once, anywhere',
    'opendoor worker --db postgres://opendoor@db/opendoor                       # on each machine',
    'OPENDOOR_DB=postgres://opendoor@db/opendoor opendoor worker --until-idle',
  ],
  scans: ['opendoor scans', 'opendoor scans --json --db census.db'],
  merge: [
    'opendoor scan 10.0.0.0/8 --shard 2/4 --db part2.db   # on each of four machines',
    'opendoor merge part*.db --db all.db',
  ],
  report: [
    'opendoor report --format html -o report.html',
    'opendoor report SCAN_ID --format csv',
    'opendoor report --format intelmq -o /var/lib/intelmq/opendoor/scan.jsonl   # IntelMQ file collector',
  ],
  diff: ['opendoor diff SCAN_A SCAN_B', 'opendoor diff SCAN_A SCAN_B --json'],
  serve: [
    'opendoor user add alice --role admin < password.txt   # first, an account',
    'opendoor serve                                          # http://127.0.0.1:8750/',
    'opendoor serve --db postgres://opendoor@db/opendoor --listen 0.0.0.0:8443 --tls-cert c.pem --tls-key k.pem',
  ],
  user: [
    'opendoor user add alice --role admin < password.txt',
    'printf \'%s\\n\' "$PASSWORD" | opendoor user add bob --role viewer',
    'opendoor user token alice                        # printed once',
  ],
  optout: [
    'opendoor optout add 192.0.2.0/24 --reason "asked by their CERT, ticket 4711"',
    'opendoor optout add AS64500 --reason "the whole network asked"',
    'opendoor optout list --json',
    'opendoor optout remove 192.0.2.0/24',
  ],
  notify: [
    'opendoor notify --campaign 2026-12 --contacts contacts.txt -o notices/          # dry run: .eml files',
    'opendoor notify --campaign 2026-12 --rdap --smtp smtp://relay:587 --from cert@example.org --send',
  ],
  campaign: ['opendoor campaign list', 'opendoor campaign recheck 2026-12', 'opendoor campaign show 2026-12 --json'],
  letters: ['opendoor letters --owners owners.txt -o letters/', 'opendoor letters SCAN_ID --format html -o letters/'],
};

/** A command's examples as its help's last lines. */
export function examples(name: string): string {
  return `\nExamples:\n${(EXAMPLES[name] ?? []).map((e) => `  $ ${e}`).join('\n')}\n`;
}
