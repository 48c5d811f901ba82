/* Fuzz target "values": the small value parsers behind options and shell arguments. The first byte
 * picks the parser, the rest is the string. Properties checked besides "no crash":
 *  - size: what parses is positive, and gph_format_size's spelling parses back to the same bytes;
 *  - DEV:RATE: the device is an absolute path that fits the buffer, the rate a size;
 *  - cpus, int-range: the value is inside the documented range and is the number written;
 *  - cpu list: only digits, ',' and '-'; hostname: what sethostname(2) and resolvers take;
 *  - CIDR: a network with zero host bits, spelled exactly as inet_ntop and %d spell it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include "gph/bridge.h"
#include "gph/parse.h"
#include "fuzz.h"

static void fuzz_size(const char *s, size_t fmt_len)
{
	struct gph_err e;
	long long bytes = 0, again = 0;
	char buf[32], *small = malloc(fmt_len ? fmt_len : 1);

	if (gph_parse_size(s, &bytes, &e) == 0) {
		FZ_CHECK(bytes > 0, "[%s] gave %lld", s, bytes);
		gph_format_size(bytes, buf, sizeof buf);
		FZ_CHECK(gph_parse_size(buf, &again, &e) == 0 && again == bytes,
			 "[%s] = %lld formats as [%s], which reads back as %lld", s, bytes, buf, again);
	} else {
		FZ_CHECK(e.msg[0], "[%s] refused without a message", s);
		bytes = (long long)fmt_len * 1024 - 3; /* still format something into the small buffer */
	}
	/* Into a buffer of a size the input chose (0 included): never past its end. */
	if (small) {
		gph_format_size(bytes, small, fmt_len);
		if (fmt_len)
			FZ_CHECK(memchr(small, '\0', fmt_len), "format_size left %zu bytes unterminated", fmt_len);
		free(small);
	}
}

static void fuzz_dev_rate(const char *s, size_t dev_len)
{
	struct gph_err e;
	long long rate = 0;
	char *dev = malloc(dev_len ? dev_len : 1);
	if (!dev)
		return;
	if (gph_parse_dev_rate(s, dev, dev_len, &rate, &e) == 0) {
		size_t n = strnlen(dev, dev_len);
		FZ_CHECK(n < dev_len && dev[0] == '/' && rate > 0, "[%s] gave [%.*s] %lld", s, (int)n, dev, rate);
		FZ_CHECK(strncmp(s, dev, n) == 0 && s[n] == ':', "[%s] gave device [%s]", s, dev);
	}
	free(dev);
}

static void fuzz_cpus(const char *s)
{
	struct gph_err e;
	long long quota = 0, period = 0;
	if (gph_parse_cpus(s, &quota, &period, &e) == 0)
		FZ_CHECK(period == 100000 && quota >= 1000 && quota <= 102400000 && quota % 100 == 0,
			 "[%s] gave quota %lld period %lld", s, quota, period);
}

static void fuzz_int_range(const char *s, unsigned pick)
{
	static const struct { long long min, max; } ranges[] = {
		{ 1, 10000 }, { 2, 4194304 }, { 0, 0 }, { -5, 5 }, { LLONG_MIN, LLONG_MAX }, { 0, 255 },
	};
	long long min = ranges[pick % 6].min, max = ranges[pick % 6].max, v = 0;
	struct gph_err e;
	if (gph_parse_int_range(s, min, max, "fuzz", &v, &e) == 0) {
		FZ_CHECK(v >= min && v <= max, "[%s] gave %lld outside %lld..%lld", s, v, min, max);
		FZ_CHECK(strtoll(s, NULL, 10) == v, "[%s] gave %lld", s, v);
	}
}

static void fuzz_cpu_list(const char *s)
{
	struct gph_err e;
	if (gph_check_cpu_list(s, &e) == 0)
		FZ_CHECK(*s && strspn(s, "0123456789,-") == strlen(s), "[%s] accepted", s);
}

static void fuzz_hostname(const char *s)
{
	struct gph_err e;
	size_t n = strlen(s);
	if (gph_check_hostname(s, &e) == 0) {
		FZ_CHECK(n >= 1 && n <= 64, "[%s] accepted at %zu bytes", s, n);
		FZ_CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n,
			 "[%s] accepted with odd bytes", s);
		FZ_CHECK(s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..") && s[0] != '-' && s[n - 1] != '-' &&
			 !strstr(s, "-.") && !strstr(s, ".-"), "[%s] accepted", s);
	} else {
		FZ_CHECK(e.msg[0], "[%s] refused without a message", s);
	}
}

static void fuzz_cidr(const char *s)
{
	struct gph_err e;
	struct in_addr net = { 0 };
	int prefix = -1;
	if (gph_cidr_parse(s, &net, &prefix, &e) == 0) {
		char addr[INET_ADDRSTRLEN], canon[INET_ADDRSTRLEN + 4];
		uint32_t host = ntohl(net.s_addr);
		FZ_CHECK(prefix >= 8 && prefix <= 30, "[%s] gave /%d", s, prefix);
		FZ_CHECK((host & ((1u << (32 - prefix)) - 1)) == 0, "[%s] has host bits", s);
		inet_ntop(AF_INET, &net, addr, sizeof addr);
		snprintf(canon, sizeof canon, "%s/%d", addr, prefix);
		FZ_CHECK(strcmp(canon, s) == 0, "[%s] accepted, but it is %s", s, canon);
	} else {
		FZ_CHECK(e.msg[0], "[%s] refused without a message", s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* Byte 0 picks the parser, byte 1 a buffer size or range, the rest is the string. */
	unsigned which = data[0] % 8, knob = data[1];
	char *s = fz_cstr(data + 2, size - 2);
	if (!s)
		return 0;
	switch (which) {
	case 0: fuzz_size(s, knob % 24); break;
	case 1: fuzz_dev_rate(s, knob); break;
	case 2: fuzz_cpus(s); break;
	case 3: fuzz_int_range(s, knob); break;
	case 4: fuzz_cpu_list(s); break;
	case 5: fuzz_hostname(s); break;
	case 6: fuzz_cidr(s); break;
	default: /* all of them on the same string */
		fuzz_size(s, knob % 24);
		fuzz_dev_rate(s, 4096);
		fuzz_cpus(s);
		fuzz_int_range(s, knob);
		fuzz_cpu_list(s);
		fuzz_hostname(s);
		fuzz_cidr(s);
		break;
	}
	free(s);
	return 0;
}
