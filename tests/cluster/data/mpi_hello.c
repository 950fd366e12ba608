/* A real MPI job for exec_interop_test: every rank finds its host's IPv4
 * address (its namespace's eth0), the ranks sum (rank + 1) and the last octet
 * of their addresses with MPI_Allreduce, and each prints one line:
 *   rank R of N on ADDRESS: sum S octets O
 * Built at test time with mpicc, outside the project's sanitizer flags. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <mpi.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>

/* The first IPv4 address not on a loopback interface, or 0. */
static in_addr_t host_address(void) {
  struct ifaddrs* list = NULL;
  in_addr_t found = 0;
  if (getifaddrs(&list) != 0) return 0;
  for (struct ifaddrs* i = list; i != NULL && found == 0; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK)) continue;
    found = ((struct sockaddr_in*)i->ifa_addr)->sin_addr.s_addr;
  }
  freeifaddrs(list);
  return found;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  struct in_addr address = {host_address()};
  char text[INET_ADDRSTRLEN] = "none";
  inet_ntop(AF_INET, &address, text, sizeof text);
  long mine[2] = {rank + 1, (long)(ntohl(address.s_addr) & 0xff)};
  long sums[2] = {0, 0};
  MPI_Allreduce(mine, sums, 2, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d of %d on %s: sum %ld octets %ld\n", rank, size, text, sums[0], sums[1]);
  fflush(stdout);
  MPI_Finalize();
  return 0;
}
