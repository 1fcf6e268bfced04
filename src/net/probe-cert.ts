/**
 * A public, throwaway, self-signed client certificate. It proves nothing and grants nothing: opendoor
 * presents it only to tell "the server demands a client certificate" apart from other TLS failures.
 * The key is deliberately public; never trust this certificate anywhere.
 */
export const PROBE_CLIENT_CERT = `-----BEGIN CERTIFICATE-----
MIIB1TCCAXugAwIBAgIUJ6fznWdWcZxaJokKlfFVQvI8GrgwCgYIKoZIzj0EAwIw
PzE9MDsGA1UEAww0b3BlbmRvb3IgcHJvYmUgKHB1YmxpYyB0aHJvd2F3YXkgY2xp
ZW50IGNlcnRpZmljYXRlKTAgFw0yNjExMjMxMzI2NTdaGA8yMTI2MTAzMDEzMjY1
N1owPzE9MDsGA1UEAww0b3BlbmRvb3IgcHJvYmUgKHB1YmxpYyB0aHJvd2F3YXkg
Y2xpZW50IGNlcnRpZmljYXRlKTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNv6
jUH8X8oSL2KLuNi5nxw+JH73Z2Ci+ckPZDJicaKKN7t8h/qxGrewRJNZ9Glv4sCS
xyJmKGVLs9Gpq2W/9qOjUzBRMB0GA1UdDgQWBBQuUA/ONK9WO+kk79zDBris3dgW
7jAfBgNVHSMEGDAWgBQuUA/ONK9WO+kk79zDBris3dgW7jAPBgNVHRMBAf8EBTAD
AQH/MAoGCCqGSM49BAMCA0gAMEUCIH55ECT8p6pP87bKN4Fk3NL4T8wuWmYQ9jPS
dAw7kj7PAiEAz5Dw4QEfomrz15MS7YWwxvfnOmuxjm1TNiWMHKLBBjo=
-----END CERTIFICATE-----`;

export const PROBE_CLIENT_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsell6eVJGf8AWFGP
P1Ldc8NOcZ1rsfa3cViLKyadDvKhRANCAATb+o1B/F/KEi9ii7jYuZ8cPiR+92dg
ovnJD2QyYnGiije7fIf6sRq3sESTWfRpb+LAksciZihlS7PRqatlv/aj
-----END PRIVATE KEY-----`;
