/*
 * rsm_err.c - RSMAPI return codes to their names and messages (see
 * rsm_err.h).
 */
#include "rsm_err.h"

#include <stdio.h>

#include "rsmapi.h"

/* Each number must be the one rsmapi.h gives the name. */
#define ERR_CHECK(name, num, msg) \
	_Static_assert((name) == (num), #name " is not " #num " in rsmapi.h");
RSM_ERR_LIST(ERR_CHECK)
#undef ERR_CHECK

/* A switch, so that two entries with one number do not compile. */
#define ERR_NAME(name, num, msg)	case num: return #name;
#define ERR_MESSAGE(name, num, msg)	case num: return msg;

const char *
rsm_err_name(int code)
{
	/* Per-thread so concurrent callers never see each other's text. */
	static _Thread_local char unknown[32];

	switch (code) {
	RSM_ERR_LIST(ERR_NAME)
	default:
		break;
	}
	snprintf(unknown, sizeof(unknown), "unknown error %d", code);
	return unknown;
}

const char *
rsm_err_message(int code)
{
	switch (code) {
	RSM_ERR_LIST(ERR_MESSAGE)
	default:
		return "unknown error";
	}
}
