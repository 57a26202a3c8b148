/* ccidkit — Windows-style scalar types of the PC/SC API.
 *
 * Part of ccidkit's drop-in replacement for pcsc-lite's client headers.
 * Applications compiled against pcsc-lite 1.9.9 on Linux must see exactly
 * the same types here, because these sizes are baked into every compiled
 * caller of libpcsclite.so.1 (research/pcsc-abi.md §3):
 *
 *   DWORD, ULONG  unsigned long   8 bytes on LP64 (not 32 bits as on Windows)
 *   LONG          long            8 bytes on LP64
 *   BOOL          short           2 bytes
 *
 * Only the Linux/ELF ABI is provided; macOS's PC/SC framework uses 32-bit
 * DWORD/LONG and packed structures, a different ABI that ccidkit does not
 * target.
 *
 * pcsclite.h includes this file as <wintypes.h>, so clients need the PCSC
 * directory itself on their include path (pkg-config gives it).
 *
 * The include guard has pcsc-lite's name on purpose: a program that mixes
 * these headers with a vendored copy of pcsc-lite's must not get every
 * typedef twice, and some programs test the guard to detect the headers. */
#ifndef __wintypes_h__
#define __wintypes_h__

#ifdef __cplusplus
extern "C" {
#endif

/* Some programs define BYTE as a macro before including us; keep theirs. */
#ifndef BYTE
typedef unsigned char BYTE;
#endif
typedef unsigned char UCHAR;
typedef UCHAR *PUCHAR;
typedef unsigned short USHORT;
typedef unsigned short WORD;
typedef short BOOL;

/* CoreFoundation's CFPlugInCOM.h defines ULONG and LPVOID itself: a
 * program that includes both must not get a conflicting definition. */
#ifndef __COREFOUNDATION_CFPLUGINCOM__
typedef unsigned long ULONG;
typedef void *LPVOID;
#endif
typedef ULONG *PULONG;

typedef unsigned long DWORD;
typedef DWORD *PDWORD;
typedef DWORD *LPDWORD;
typedef long LONG;

typedef const void *LPCVOID;
typedef BYTE *LPBYTE;
typedef const BYTE *LPCBYTE;
typedef char *LPSTR;
typedef const char *LPCSTR;

/* Old spellings still found in drivers and applications. */
typedef LPSTR LPTSTR;
typedef LPCSTR LPCTSTR;

#ifdef __cplusplus
}
#endif

#endif /* __wintypes_h__ */
