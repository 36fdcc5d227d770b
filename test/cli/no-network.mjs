// Preloaded (node --import) by the sandbox's binary tests: any attempt to open a socket or resolve
// a name fails loudly, so a command that passes reached nothing outside the process.
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';

const refuse = (what) => () => {
  throw new Error(`kds-xacct tried to use the network (${what}) under --sandbox`);
};
net.Socket.prototype.connect = refuse('net.Socket.connect');
net.connect = net.createConnection = refuse('net.connect');
tls.connect = refuse('tls.connect');
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
