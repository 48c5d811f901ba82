/* Parsers for resource limits: CPUs, counts, CPU lists, DEV:RATE. Pure, unit-tested. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gph/parse.h"

int gph_parse_cpus(const char *s, long long *quota_us, long long *period_us, struct gph_err *e)
{
	const char *forms = "a decimal number of CPUs from 0.01 to 1024 with at most 3 decimals, e.g. 0.5 or 2";
	long long whole = 0, frac = 0;
	int digits = 0, fdigits = 0;
	const char *p = s;
	for (; *p && isdigit((unsigned char)*p); p++, digits++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 1024)
			return gph_fail(e, 0, forms, "bad CPU count \"%s\": too large", s);
	}
	if (*p == '.') {
		for (p++; *p && isdigit((unsigned char)*p); p++, fdigits++) {
			if (fdigits == 3)
				return gph_fail(e, 0, forms, "bad CPU count \"%s\": too many decimals", s);
			frac = frac * 10 + (*p - '0');
		}
		if (!fdigits)
			return gph_fail(e, 0, forms, "bad CPU count \"%s\"", s);
	}
	if (*p || (!digits && !fdigits))
		return gph_fail(e, 0, forms, "bad CPU count \"%s\"", s);
	for (int i = fdigits; i < 3; i++)
		frac *= 10;
	long long milli = whole * 1000 + frac;
	if (milli < 10 || milli > 1024000)
		return gph_fail(e, 0, forms, "bad CPU count \"%s\": out of range", s);
	*period_us = 100000;
	*quota_us = milli * 100; /* 1 CPU = the whole 100000 us period */
	return 0;
}

int gph_parse_int_range(const char *s, long long min, long long max, const char *what, long long *out,
			struct gph_err *e)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || isspace((unsigned char)*s) || v < min || v > max)
		return gph_fail(e, 0, NULL, "%s: bad value \"%s\": give a whole number from %lld to %lld", what, s, min,
				max);
	*out = v;
	return 0;
}

int gph_check_cpu_list(const char *s, struct gph_err *e)
{
	const char *p = s;
	const char *forms = "CPU numbers and ranges separated by commas, e.g. 0, 0-3 or 0,2-3";
	if (!*s)
		return gph_fail(e, 0, forms, "empty CPU list");
	while (*p) {
		long a = 0;
		if (!isdigit((unsigned char)*p))
			return gph_fail(e, 0, forms, "bad CPU list \"%s\"", s);
		for (; isdigit((unsigned char)*p); p++)
			if ((a = a * 10 + (*p - '0')) > 8191)
				return gph_fail(e, 0, forms, "bad CPU list \"%s\": CPU number too large", s);
		if (*p == '-') {
			long b;
			p++;
			if (!isdigit((unsigned char)*p))
				return gph_fail(e, 0, forms, "bad CPU list \"%s\"", s);
			for (b = 0; isdigit((unsigned char)*p); p++)
				if ((b = b * 10 + (*p - '0')) > 8191)
					return gph_fail(e, 0, forms, "bad CPU list \"%s\": CPU number too large", s);
			if (b < a)
				return gph_fail(e, 0, forms, "bad CPU list \"%s\": range %ld-%ld runs backwards", s, a, b);
		}
		if (*p == ',') {
			p++;
			if (!*p)
				return gph_fail(e, 0, forms, "bad CPU list \"%s\": trailing comma", s);
		} else if (*p) {
			return gph_fail(e, 0, forms, "bad CPU list \"%s\"", s);
		}
	}
	return 0;
}

int gph_parse_dev_rate(const char *s, char *dev, size_t dev_len, long long *rate, struct gph_err *e)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || s[0] != '/')
		return gph_fail(e, 0, "DEVICE:RATE, e.g. /dev/vda:10M (RATE in bytes per second, units as for sizes)",
				"bad device rate \"%s\"", s);
	size_t n = (size_t)(colon - s);
	if (n >= dev_len)
		return gph_fail(e, ENAMETOOLONG, NULL, "device path in \"%s\"", s);
	memcpy(dev, s, n);
	dev[n] = '\0';
	if (gph_parse_size(colon + 1, rate, e) < 0) {
		gph_err_wrap(e, "rate of %s: ", dev);
		return -1;
	}
	return 0;
}
