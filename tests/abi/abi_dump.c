/* ccidkit — print the ABI facts of the PC/SC headers, one per line.
 *
 * Built twice from this one file and the one list abi_list.h: as
 * abi_dump_sys against the system's pcsc-lite headers (and library), and as
 * abi_dump_ours against pcsc-api/include/PCSC (and our library).  The
 * include path alone decides which headers <winscard.h> and <reader.h>
 * are; test_abi_dump.sh diffs the two outputs, which must be identical.
 *
 * Types are compared exactly with _Generic (C11 §6.5.1.1: a type matches
 * only a compatible type), so a DWORD that became `unsigned int`, a LONG
 * constant that became an int, or a prototype with one parameter of
 * another type prints MISMATCH rather than passing by having the same
 * size. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <winscard.h>
#include <reader.h>

#define OK_OR_MISMATCH(expr, type) _Generic((expr), type: "ok", default: "MISMATCH")

/* The C type of an integer constant expression, by name. */
#define INT_TYPE_NAME(x) _Generic((x), \
	char: "char", signed char: "signed char", unsigned char: "unsigned char", \
	short: "short", unsigned short: "unsigned short", \
	int: "int", unsigned int: "unsigned int", \
	long: "long", unsigned long: "unsigned long", \
	long long: "long long", unsigned long long: "unsigned long long", \
	default: "MISMATCH(not an integer type)")

#define ABI_TYPE(T, C) \
	printf("type %s size %zu %s\n", #T, sizeof(T), \
		OK_OR_MISMATCH((T *)0, C *));
#define ABI_STRUCT(S) \
	printf("struct %s size %zu align %zu\n", #S, sizeof(S), _Alignof(S));
#define ABI_FIELD(S, f, C) \
	printf("field %s.%s offset %zu size %zu %s\n", #S, #f, offsetof(S, f), \
		sizeof(((S *)0)->f), OK_OR_MISMATCH(((S *)0)->f, C));
#define ABI_FLEX(S, f, C) \
	printf("field %s.%s offset %zu flexible %s\n", #S, #f, offsetof(S, f), \
		OK_OR_MISMATCH(((S *)0)->f, C *));
#define ABI_FUNC(F, P) \
	printf("function %s %s\n", #F, OK_OR_MISMATCH(&F, P));
#define ABI_PCI(M) \
	printf("pci %s %s size %zu protocol %lu length %lu\n", #M, \
		OK_OR_MISMATCH(M, const SCARD_IO_REQUEST *), sizeof(*(M)), \
		(M)->dwProtocol, (M)->cbPciLength);
#define ABI_CONST(X) \
	printf("const %s %s 0x%llx\n", #X, INT_TYPE_NAME(X), \
		(unsigned long long)(X));
#define ABI_STRING(X) \
	printf("string %s \"%s\" size %zu\n", #X, X, sizeof(X));

int main(void)
{
#include "abi_list.h"

	/* Both header sets must let a program tell that the API macro
	 * exists; its expansion differs on purpose (ours carries
	 * visibility("default"), see pcsclite.h), so it is not printed. */
#ifdef PCSC_API
	printf("macro PCSC_API defined\n");
#else
	printf("macro PCSC_API MISMATCH(undefined)\n");
#endif
	return 0;
}
