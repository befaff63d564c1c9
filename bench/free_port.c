/*  free_port - prints N free TCP ports on 127.0.0.1 (bound to port 0 and released), for bench/run. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
    int count = argc > 1? atoi (argv [1]): 1;
    int fds [64];
    //  Hold them all open until the end, so the N ports differ.
    for (int i = 0; i < count && i < 64; i++) {
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
        socklen_t len = sizeof addr;
        fds [i] = socket (AF_INET, SOCK_STREAM, 0);
        if (fds [i] < 0 || bind (fds [i], (struct sockaddr *) &addr, sizeof addr)
        ||  getsockname (fds [i], (struct sockaddr *) &addr, &len))
            return 1;
        printf ("%d\n", ntohs (addr.sin_port));
    }
    for (int i = 0; i < count && i < 64; i++)
        close (fds [i]);
    return 0;
}
